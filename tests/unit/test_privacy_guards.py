"""The pure guards of personal data: column names checked before landing, driver texts
scrubbed of values, key fingerprints, and clients sharing a key."""

from __future__ import annotations

import textwrap

import pyarrow as pa
import pytest

from tests.unit.test_pii import patients_spec
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.validation import shared_key_problems
from upflux_etl.definitions.scrubbed import ScrubbedError, scrub_exception, scrubbed_errors
from upflux_etl.extract.columns import ColumnError, normalise_column
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.pii import key_fingerprint, protect_batch, pseudonymise
from upflux_etl.extract.scrub import scrub_values

KEY = b"k" * 32
CPF = "529.982.247-25"


@pytest.mark.parametrize("name", ["cpf", "CPF", '"CPF"', " Cpf ", "[cpf]", "`cpf`"])
def test_column_names_are_compared_without_case_quotes_or_spaces(name):
    assert normalise_column(name) == "cpf"


def test_an_upper_case_personal_column_is_protected():
    batch = pa.RecordBatch.from_pydict({"RECORD_ID": ["1"], "Patient_Key": ["P-1"], '"CPF"': [CPF]})
    out = protect_batch(batch, patients_spec(), KEY, "q.sql")
    assert out.schema.names == ["record_id", "patient_key", "cpf", "cpf_valid"]
    assert out.column("cpf").to_pylist() == pseudonymise(["52998224725"], KEY)
    assert out.column("cpf_valid").to_pylist() == [True]
    assert CPF not in str(out.to_pydict())


def test_an_undeclared_column_is_refused_naming_the_query_and_the_column():
    batch = pa.RecordBatch.from_pydict(
        {"record_id": ["1"], "patient_key": ["P-1"], "cpf": [CPF], "NM_PACIENTE": ["Maria"]}
    )
    with pytest.raises(ColumnError) as err:
        protect_batch(batch, patients_spec(), KEY, "clients/x.yaml (x.sql)")
    message = str(err.value)
    assert "x.sql" in message and "NM_PACIENTE" in message and "Maria" not in message


def test_a_column_twice_in_two_cases_and_a_missing_column_are_refused():
    batch = pa.RecordBatch.from_pydict({"record_id": ["1"], "cpf": [CPF], "CPF ": [CPF]})
    with pytest.raises(ColumnError, match=r"more than once.*cpf.*missing columns: patient_key"):
        protect_batch(batch, patients_spec(), KEY, "q.sql")


DRIVER_TEXTS = [
    'ERROR:  invalid input syntax for type integer: "529.982.247-25"',
    'ERROR:  duplicate key value violates unique constraint "paciente_pkey"\n'
    "DETAIL:  Key (nr_cpf)=(52998224725) already exists.",
    "(1062, \"Duplicate entry '52998224725' for key 'PRIMARY'\")",
    "value 'Maria da Silva' is too long; cns 898001160012344; tel (19) 99876-5432",
    "Failing row contains (1, Maria, 529.982.247-25).",
    "Key (cpf, nome)=(529.982.247-25, Maria) conflicts",
]


@pytest.mark.parametrize("text", DRIVER_TEXTS)
def test_driver_texts_lose_their_values(text):
    clean = scrub_values(text)
    for value in ("529.982.247-25", "52998224725", "Maria", "898001160012344", "99876-5432"):
        assert value not in clean, clean


def test_names_of_database_objects_stay():
    text = "relation \"paciente\" does not exist; Unknown column 'nr_cpf' in 'field list'"
    clean = scrub_values(text)
    assert '"paciente"' in clean and "'nr_cpf'" in clean
    assert scrub_values("could not connect to postgresql://etl:pw@erp:5432/tasy") == (
        "could not connect to postgresql://etl:***@erp:5432/tasy"
    )


def test_a_source_error_is_scrubbed_when_built():
    error = SourceError('pg://erp: invalid input syntax for type integer: "529.982.247-25"')
    assert "529" not in str(error) and "<value>" in str(error)


def test_a_foreign_exception_leaving_an_asset_is_scrubbed_with_its_causes():
    class DriverError(Exception):
        pass

    @scrubbed_errors
    def asset() -> None:
        try:
            raise DriverError(f"Duplicate entry '{CPF}'")
        except DriverError as inner:
            raise ValueError(f"wrapped: cpf {CPF}") from inner

    with pytest.raises(ValueError) as err:
        asset()
    assert CPF not in str(err.value) and CPF not in str(err.value.__cause__)


def test_an_asset_that_yields_its_results_is_scrubbed_the_same_way():
    class DriverError(Exception):
        pass

    @scrubbed_errors
    def asset():
        yield "the first indicator"
        raise DriverError(f"Duplicate entry '{CPF}'")

    results = asset()
    assert next(results) == "the first indicator"
    with pytest.raises(Exception) as err:  # the scrubbed copy of a foreign type
        next(results)
    assert CPF not in str(err.value) and err.value.__cause__ is None


def test_an_exception_whose_text_cannot_be_rewritten_is_replaced():
    class Stubborn(Exception):
        def __str__(self) -> str:
            return f"row {CPF}"

    safe = scrub_exception(Stubborn())
    assert isinstance(safe, ScrubbedError) and CPF not in str(safe)


def test_the_fingerprint_names_the_key_without_being_a_pseudonym():
    assert key_fingerprint(KEY) == key_fingerprint(b"k" * 32)
    assert key_fingerprint(KEY) != key_fingerprint(b"j" * 32)
    assert len(key_fingerprint(KEY)) == 32 and KEY.decode() not in key_fingerprint(KEY)
    assert key_fingerprint(KEY) not in pseudonymise(["", "0", "fingerprint"], KEY)


def client(slug: str, key_env: str, shared_with=()) -> ClientSpec:
    return ClientSpec.model_validate(
        {
            "slug": slug,
            "file": f"clients/{slug}.yaml",
            "name": slug,
            "timezone": "America/Sao_Paulo",
            "sources": {"erp": {"profile": "hospitalis", "url": "sqlite:///x.sqlite"}},
            "pseudonymisation": {"key_env": key_env, "shared_with": list(shared_with)},
        }
    )


def test_two_clients_sharing_a_key_are_refused_unless_both_declare_it():
    a, b = client("a", "KEY_A"), client("b", "KEY_B")
    environ = {"KEY_A": "x" * 32, "KEY_B": "x" * 32}
    assert shared_key_problems([a, b], None) == {}
    found = shared_key_problems([a, b], environ)
    assert set(found) == {"a", "b"} and "x" * 32 not in str(found["a"][0])
    assert "clients/b.yaml" in str(found["a"][0]) and "shared_with" in str(found["a"][0])
    same_variable = shared_key_problems([a, client("c", "KEY_A")], None)
    assert set(same_variable) == {"a", "c"}
    one_side = shared_key_problems([client("a", "KEY_A", ["b"]), b], environ)
    assert set(one_side) == {"a", "b"}
    both = shared_key_problems([client("a", "KEY_A", ["b"]), client("b", "KEY_B", ["a"])], environ)
    assert both == {}


def test_a_client_file_without_its_own_key_variable_is_refused(tmp_path):
    from upflux_etl.catalog.errors import ConfigProblems
    from upflux_etl.catalog.reader import read_catalog, read_client
    from upflux_etl.settings import Settings

    path = tmp_path / "sem_chave.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            name: Hospital Sem Chave
            timezone: America/Sao_Paulo
            sources:
              erp: {profile: hospitalis, url: "sqlite:///x.sqlite"}
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigProblems) as err:
        read_client(path, read_catalog(Settings.from_env({})))
    assert any(
        p.field == "pseudonymisation.key_env" and "UPFLUX_PSEUDONYM_KEY_SEM_CHAVE" in p.message
        for p in err.value.problems
    )


def test_setup_provisions_one_key_per_demo_client_and_keeps_existing_ones(tmp_path):
    from upflux_etl.demo_keys import provision_demo_keys, read_env_file
    from upflux_etl.settings import Settings

    settings = Settings.from_env({})
    env_file = tmp_path / ".env"
    assert provision_demo_keys(settings, env_file) == ["UPFLUX_PSEUDONYM_KEY_DEMO"]
    first = read_env_file(env_file)["UPFLUX_PSEUDONYM_KEY_DEMO"]
    assert len(first) == 64 and oct(env_file.stat().st_mode)[-3:] == "600"
    assert provision_demo_keys(settings, env_file) == []
    assert read_env_file(env_file)["UPFLUX_PSEUDONYM_KEY_DEMO"] == first

    legacy = tmp_path / "legacy.env"
    legacy.write_text("UPFLUX_PSEUDONYM_KEY=" + "a" * 64, encoding="utf-8")
    provision_demo_keys(settings, legacy)
    assert read_env_file(legacy)["UPFLUX_PSEUDONYM_KEY_DEMO"] == "a" * 64


def test_duckdb_interrupting_a_query_is_the_persons_interruption_even_when_wrapped():
    import threading

    import duckdb

    con = duckdb.connect()
    done = threading.Event()

    def press_ctrl_c() -> None:  # until the query has stopped (whenever it started)
        while not done.wait(0.05):
            con.interrupt()

    @scrubbed_errors
    def asset():
        try:  # a long query, interrupted as Ctrl-C would (DuckDB raises its own error)
            con.execute("select count(*) from range(10000000000) as a(x) where x % 7 = 3")
        except duckdb.Error as exc:
            raise RuntimeError(f"assets/indicators/x.sql: {exc}") from None  # as our code wraps

    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            asset()
    finally:
        done.set()
        presser.join()
        con.close()


def test_a_signal_during_a_duckdb_query_is_the_persons_interruption():
    # What DuckDB 2.0 raises when SIGINT arrives during `execute` (measured: a bare RuntimeError).
    @scrubbed_errors
    def asset():
        try:
            raise RuntimeError("Query interrupted")
        except RuntimeError as exc:
            raise ValueError(f"exams: {exc}") from None

    with pytest.raises(KeyboardInterrupt):
        asset()

    @scrubbed_errors
    def other():
        raise RuntimeError("Query interrupted by a typo in the message")

    with pytest.raises(RuntimeError):
        other()
