"""Pure pieces of onboarding and of the sources' sessions: which errors are transient, the
backoff, column types against the canonical ones, schema drift, personal-looking columns,
the extraction's metadata, source settings and the connect-test as Round 1 evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from tests.unit.test_state_support import make_client, utc
from upflux_etl.catalog.models import RetrySpec, SourceSpec
from upflux_etl.catalog.reader import read_rounds
from upflux_etl.checklist import checklist_status
from upflux_etl.definitions.extraction_metadata import extraction_metadata
from upflux_etl.extract.drivers.adbc import postgres_uri
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.session_options import SessionOptions, session_options
from upflux_etl.extract.source_catalog import column_sources
from upflux_etl.extract.transient import CONNECTION, DEADLOCK, TERMINATED, TIMEOUT, transient_reason
from upflux_etl.extract.urls import resolve_url
from upflux_etl.onboarding.column_types import fit
from upflux_etl.onboarding.discover import personal_reason
from upflux_etl.onboarding.records import read_connect_tests, write_connect_test
from upflux_etl.pipeline.extraction import backoff_seconds
from upflux_etl.quality.source_index import INDEX_CHECK, index_outcome, unindexed_warning
from upflux_etl.quality.source_schema import DRIFT_CHECK, drift_changes, drift_outcome
from upflux_etl.settings import project_root
from upflux_etl.state import StateStore
from upflux_etl.warehouse.meta.source_sessions import SourceSession


class _Coded(Exception):
    def __init__(self, message: str, sqlstate: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (_Coded("terminating connection due to administrator command", "57P01"), TERMINATED),
        (_Coded("deadlock detected", "40P01"), DEADLOCK),
        (_Coded("canceling statement due to statement timeout", "57014"), TIMEOUT),
        (_Coded("could not receive data", "08006"), CONNECTION),
        (Exception(2013, "Lost connection to MySQL server during query"), CONNECTION),
        (Exception(1213, "Deadlock found when trying to get lock"), DEADLOCK),
        (Exception("08S01", "[08S01] Communication link failure"), CONNECTION),
        (Exception("server closed the connection unexpectedly"), TERMINATED),
        (_Coded('relation "x" does not exist', "42P01"), None),
        (Exception(1146, "Table 'erp.x' doesn't exist"), None),
        (Exception(1045, "Access denied for user 'ro'@'h' (using password: YES)"), None),
        (_Coded('password authentication failed for user "ro"', "28P01"), None),
    ],
)
def test_only_transient_errors_are_retried(error, reason):
    assert transient_reason(error) == reason


def test_backoff_grows_exponentially_up_to_its_cap_with_full_jitter():
    retry = RetrySpec(attempts=6, backoff_s=2, max_backoff_s=10)
    assert [backoff_seconds(n, retry, lambda: 1.0) for n in range(1, 6)] == [2, 4, 8, 10, 10]
    assert backoff_seconds(3, retry, lambda: 0.25) == 2
    assert backoff_seconds(3, retry, lambda: 0.0) == 0


@pytest.mark.parametrize(
    ("canonical", "source", "fits", "noted"),
    [
        ("timestamp", "timestamptz", True, False),
        ("timestamp", "DATETIME", True, False),
        ("timestamp", "varchar", True, True),
        ("integer", "date", False, False),
        ("decimal", "NEWDECIMAL", True, False),
        ("string", "int4", True, False),
        ("boolean", "TINY", True, False),
        ("date", None, True, False),  # SQLite: nothing to compare
        ("string", "BLOB", True, False),  # MySQL reports TEXT as BLOB
        ("integer", "bytea", False, False),
    ],
)
def test_source_types_against_canonical_types(canonical, source, fits, noted):
    ok, note = fit(canonical, source)
    assert ok is fits
    assert bool(note) is (noted or not fits)


def test_drift_lists_new_removed_and_retyped_columns():
    before = {"pedido": {"id": "integer", "dt": "timestamp"}, "velha": {"a": "text"}}
    now = {"pedido": {"id": "bigint", "novo": "text"}, "nova": {"b": "text"}}
    assert drift_changes(before, now) == [
        "nova: tabela nova",
        "pedido.novo: coluna nova (text)",
        "pedido.dt: coluna removida",
        "pedido.id: tipo mudou de integer para bigint",
        "velha: tabela removida",
    ]
    first = drift_outcome("exams", now, None)
    assert first.passed and first.name == DRIFT_CHECK and "primeira carga" in first.description
    changed = drift_outcome("exams", now, before)
    assert not changed.passed and changed.failing_count == 5 and not changed.blocking
    broken = drift_outcome("exams", {}, before, error="refused")
    assert not broken.passed and broken.error == "refused"
    unsupported = drift_outcome("exams", {}, None, unsupported="tsql")
    assert unsupported.passed and "não verificado" in unsupported.description


def test_an_unindexed_incremental_column_is_a_warning_that_names_what_to_ask_for():
    ask = "create index ix_pedido_exame_dt_atualizacao on erp.pedido_exame (dt_atualizacao)"
    said = unindexed_warning("erp", "exams", "updated_at", "pedido_exame.dt_atualizacao", "erp")
    for part in ("source erp", "dataset exams", "pedido_exame.dt_atualizacao", "whole", ask):
        assert part in said
    failed = index_outcome("erp", "exams", ["pedido_exame.dt_atualizacao"], "erp", traced=1)
    assert failed.name == INDEX_CHECK and failed.status == "failed" and not failed.blocking
    assert ask in failed.description and failed.failing_count == 1
    indexed = index_outcome("erp", "exams", [], None, traced=1)
    assert indexed.status == "passed" and "create index" not in indexed.description
    for kwargs in ({"unsupported": "tsql"}, {"error": "refused"}, {}):
        unknown = index_outcome("erp", "exams", [], None, traced=0 if not kwargs else 1, **kwargs)
        assert unknown.status == "not_applicable" and "não verificado" in unknown.description


def test_the_incremental_column_is_traced_through_ctes_and_a_case_of_two_tables():
    sql = (
        "with s as (select cd_leito, dt_atualizacao from leito_situacao), "
        "l as (select cd_leito, dt_atualizacao from leito) "
        "select case when l.dt_atualizacao > s.dt_atualizacao then l.dt_atualizacao "
        "else s.dt_atualizacao end as updated_at from s left join l on s.cd_leito = l.cd_leito"
    )
    assert column_sources(sql, "postgres", "updated_at") == {
        ("leito", "dt_atualizacao"),
        ("leito_situacao", "dt_atualizacao"),
    }


@pytest.mark.parametrize(
    ("name", "values", "personal"),
    [
        ("nr_cpf", ["x"], True),
        ("nm_paciente", ["x"], True),
        ("dt_nascimento", ["2000-01-01"], True),
        ("documento", ["52998224725", "11144477735"], True),  # valid CPFs
        ("cartao", ["898001160660001"], True),  # a valid provisional CNS
        ("responsavel", [f"MARIA {c}SILVA" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"], True),
        ("ie_sexo", ["M", "F", "I"], False),
        ("ds_setor", ["UTI ADULTO", "PEDIATRIA"], False),
        ("cd_setor", [11, 23, 24], False),
    ],
)
def test_personal_looking_columns(name, values, personal):
    assert bool(personal_reason(name, values)) is personal


def _session(attempt: int, outcome: str, reason: str | None, purpose: str = "extract"):
    return SourceSession(
        "erp", "exams", purpose, attempt, utc(2026, 10, 1), 1.5, 0, outcome, reason
    )


def test_the_extraction_metadata_counts_retries_and_says_why():
    sessions = (
        _session(1, "ok", None, "probe"),
        _session(1, "retried", TERMINATED),
        _session(2, "ok", None),
    )
    meta = extraction_metadata(sessions, ("pedido_exame.dt_atualizacao",))
    assert meta["extraction_attempts"] == 2 and meta["retries"] == 1
    assert meta["retry_reasons"] == f"1: {TERMINATED}"
    assert meta["source_sessions"] == 3
    assert meta["unindexed_incremental_columns"] == "pedido_exame.dt_atualizacao"


def test_source_settings_are_validated():
    spec = SourceSpec(profile="p", url="sqlite:///x", encoding="latin1")
    assert session_options(spec, "demo").codec == "latin-1"
    assert session_options(spec, "demo").application_name == "upflux-etl demo load"
    with pytest.raises(ValidationError, match="encoding"):
        SourceSpec(profile="p", url="sqlite:///x", encoding="EBCDIC")
    with pytest.raises(ValidationError, match="password_env"):
        SourceSpec(profile="p", url_env="X", password_env="Y")


def test_a_password_comes_from_the_variable_the_client_file_names(tmp_path, monkeypatch):
    spec = SourceSpec(profile="p", url="mysql+pymysql://ro@db/erp", password_env="ERP_PW")
    with pytest.raises(SourceError, match="ERP_PW"):
        resolve_url(spec, tmp_path, "clients/x.yaml")
    monkeypatch.setenv("ERP_PW", "p@ss;word")
    assert resolve_url(spec, tmp_path, "x").startswith("mysql+pymysql://ro:p%40ss%3Bword@db/")
    odbc = SourceSpec(profile="p", url="odbc+tsql://DRIVER={X};SERVER=s", password_env="ERP_PW")
    assert resolve_url(odbc, tmp_path, "x").endswith(";PWD={p@ss;word}")


def test_a_postgres_session_is_named_bounded_and_reads_utf8():
    uri = postgres_uri(
        "postgresql://ro@db/erp",
        "erp",
        SessionOptions(application_name="upflux-etl h load", statement_timeout_s=60),
    )
    assert "application_name=upflux-etl%20h%20load" in uri
    assert "connect_timeout=15" in uri
    assert "client_encoding%3DUTF8" in uri and "statement_timeout%3D60000" in uri


def test_a_passing_connect_test_is_round_1_evidence(tmp_path):
    from upflux_etl.settings import Settings

    settings = Settings(project_root(), tmp_path, tmp_path / "data", "sqlite://")
    at = dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC)
    write_connect_test(
        settings,
        "hosp_a",
        {"at": (at - dt.timedelta(days=1)).isoformat(), "ok": False, "sources": {}},
    )
    write_connect_test(
        settings, "hosp_a", {"at": at.isoformat(), "ok": True, "sources": {"erp": {}}}
    )
    kept = read_connect_tests(settings, "hosp_a")
    assert [k.ok for k in kept] == [True, False]
    store = StateStore(f"sqlite:///{tmp_path / 'state.sqlite'}")
    try:
        rounds = read_rounds(project_root())
        item = checklist_status(
            make_client(), store, None, rounds, at=at + dt.timedelta(hours=1), connect_tests=kept
        ).item("integration_alignment")
        before = checklist_status(
            make_client(), store, None, rounds, at=at - dt.timedelta(hours=1), connect_tests=kept
        ).item("integration_alignment")
    finally:
        store.dispose()
    assert "connect-test aprovado" in item.evidence
    assert "connect-test aprovado" not in before.evidence


def test_a_driver_error_wrapped_by_sqlalchemy_is_judged_by_the_driver_error():
    import sqlalchemy as sa

    orig = Exception(1969, "Query execution was interrupted (max_statement_time exceeded)")
    wrapped = sa.exc.OperationalError("select sleep(30)", {}, orig)
    assert transient_reason(wrapped) == TIMEOUT
    denied = sa.exc.OperationalError("connect", {}, Exception(1045, "Access denied for user"))
    assert transient_reason(denied) is None


def test_probe_wrappers_are_written_for_the_dialect():
    from upflux_etl.extract.probe import wrapped

    cte = "with x as (select 1 as a) select a from x"
    tsql = wrapped(cte, "tsql", "*", "1 = 0")
    assert tsql.upper().startswith("WITH X AS") and tsql.endswith("WHERE 1 = 0")
    assert wrapped("select 1 as a", "postgres", "count(*)") == (
        "SELECT COUNT(*) FROM (SELECT 1 AS a) AS upflux_probe"
    )
    assert "upflux_probe" in wrapped("not sql at all (", "postgres", "*")  # the source will say


def test_catalog_questions_can_name_their_tables():
    from upflux_etl.extract.source_catalog import _only

    sql = "select 1 from t where s = %s\n{only:t.name}\n"
    assert "{only" not in _only(sql, None) and "lower(" not in _only(sql, None)
    assert "and lower(t.name) in ('a', 'b''c')" in _only(sql, {"a", "b'c"})
    assert "and 1 = 0" in _only(sql, set())
