import pyarrow as pa
import pytest

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.extract.identifiers import cns_is_valid, cpf_check_digits, cpf_is_valid
from upflux_etl.extract.pii import protect_batch, pseudonym_key, pseudonymise

KEY = b"k" * 32


def patients_spec() -> DatasetSpec:
    return DatasetSpec.model_validate(
        {
            "name": "patients",
            "description": "x",
            "primary_key": ["record_id"],
            "incremental_column": "record_id",
            "columns": {
                "record_id": {"type": "string"},
                "patient_key": {"type": "string", "pii": "pseudonym"},
                "cpf": {"type": "string", "pii": "pseudonym", "validate": "cpf"},
            },
        }
    )


def test_cpf_check_digits_known_values():
    assert cpf_check_digits("529982247") == "25"
    assert cpf_is_valid("529.982.247-25")
    assert not cpf_is_valid("529.982.247-24")
    assert not cpf_is_valid("111.111.111-11")
    assert not cpf_is_valid("5299822472")


def test_cns_rule():
    # 15 digits with weighted sum divisible by 11
    assert cns_is_valid("700000000000005") is (
        sum(int(c) * (15 - i) for i, c in enumerate("700000000000005")) % 11 == 0
    )
    assert not cns_is_valid("300000000000000")
    assert not cns_is_valid("12345")


def test_protect_batch_removes_clear_values_and_flags_validity():
    batch = pa.RecordBatch.from_pydict(
        {
            "record_id": ["1", "2", "3"],
            "patient_key": ["P-1", "P-2", None],
            "cpf": ["529.982.247-25", "52998224724", None],
        }
    )
    out = protect_batch(batch, patients_spec(), KEY)
    assert out.column("cpf_valid").to_pylist() == [True, False, None]
    dumped = str(out.to_pydict())
    for clear in ("529.982.247-25", "52998224724", "P-1", "P-2"):
        assert clear not in dumped
    assert out.column("record_id").to_pylist() == ["1", "2", "3"]
    assert out.column("patient_key").to_pylist()[2] is None


def test_same_cpf_typed_differently_gets_one_pseudonym():
    a = pseudonymise(["529.982.247-25"], KEY, lambda s: "".join(c for c in s if c.isdigit()))
    b = pseudonymise(["52998224725"], KEY, lambda s: "".join(c for c in s if c.isdigit()))
    assert a == b and len(a[0]) == 32


def test_pseudonyms_depend_on_the_key():
    assert pseudonymise(["x"], KEY) != pseudonymise(["x"], b"j" * 32)


def test_short_keys_are_refused():
    with pytest.raises(ValueError, match="16 characters"):
        pseudonym_key("short")
