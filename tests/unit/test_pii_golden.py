"""Pseudonyms are byte-identical to the per-row HMAC code they replaced: no patient is re-keyed.

`tests/golden/pseudonyms.json` was computed with the per-row code before vectorisation
(commit 541f13c) and is never regenerated.
"""

import json
import random
from pathlib import Path

import pyarrow as pa

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.extract.pii import protect_batch, pseudonymise

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "pseudonyms.json").read_text())
KEY = GOLDEN["key"].encode()


def _spec() -> DatasetSpec:
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
                "cns": {"type": "string", "pii": "pseudonym", "validate": "cns"},
            },
        }
    )


def _batch() -> pa.RecordBatch:
    inputs = GOLDEN["inputs"]
    rows = len(inputs["patient_key"])
    return pa.RecordBatch.from_pydict({"record_id": [str(i) for i in range(rows)], **inputs})


def test_protect_batch_matches_the_golden_pseudonyms_and_flags():
    out = protect_batch(_batch(), _spec(), KEY)
    assert out.schema.names == GOLDEN["names"]
    assert out.to_pydict() == GOLDEN["output"]


def test_protect_batch_matches_the_golden_on_large_string_and_sliced_batches():
    batch = _batch()
    large = pa.RecordBatch.from_arrays(
        [c.cast(pa.large_string()) for c in batch.columns], names=batch.schema.names
    )
    assert protect_batch(large, _spec(), KEY).to_pydict() == GOLDEN["output"]
    sliced = protect_batch(batch.slice(3, 5), _spec(), KEY).to_pydict()
    assert sliced == {k: v[3:8] for k, v in GOLDEN["output"].items()}


def test_pseudonymise_matches_the_golden_on_integers():
    assert pseudonymise(GOLDEN["int_inputs"], KEY) == GOLDEN["int_output"]


def test_vectorised_protection_equals_the_per_value_code_on_random_identifiers(monkeypatch):
    from upflux_etl.extract import pii_vector
    from upflux_etl.extract.identifiers import cpf_check_digits
    from upflux_etl.extract.pii import _protect_values
    from upflux_etl.extract.pii_vector import protect_column

    # Hashed in parts of 1,000 (25,000 in production), on every thread: the order must hold.
    monkeypatch.setattr(pii_vector, "_PART_ROWS", 1_000)

    rng = random.Random(7)
    alphabet = "0123456789 .-/\t"
    values: list[str | None] = [None, "", " "]
    for _ in range(3000):
        first9 = "".join(rng.choice("0123456789") for _ in range(9))
        values.append(first9 + cpf_check_digits(first9))  # valid CPFs
        values.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 18))))
        values.append("".join(rng.choice("123456789") for _ in range(15)))
    clear = pa.array(values, pa.string())
    for validate in ("cpf", "cns", None):
        hashed, flags = protect_column(
            clear, KEY, validate=validate, fallback=lambda v, k=validate: ([], None)
        )
        expected_hashed, expected_flags = _protect_values(values, KEY, validate)
        assert hashed.to_pylist() == expected_hashed
        assert (flags.to_pylist() if flags is not None else None) == expected_flags
    assert any(_protect_values(values, KEY, "cpf")[1])  # valid CPFs were drawn


def test_an_empty_column_gives_empty_pseudonyms_and_flags():
    from upflux_etl.extract.pii_vector import protect_column

    for validate in ("cpf", None):
        hashed, flags = protect_column(
            pa.array([], pa.string()), KEY, validate=validate, fallback=lambda v: ([], None)
        )
        assert hashed.to_pylist() == []
        assert (flags.to_pylist() if flags is not None else None) == ([] if validate else None)
