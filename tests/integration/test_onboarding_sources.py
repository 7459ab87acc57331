"""`upflux connect-test`, `upflux discover` and the sources' sessions on the real servers.

Read-only access is proven with a real SELECT-only role (PostgreSQL and MariaDB) and refuted
with a writable one; a wrong password (MariaDB: PostgreSQL here is trust-authenticated on
127.0.0.1, so a password is never checked) fails at once with a clear message; discover
shows no personal value; a LATIN1 database's text arrives intact; a connection killed while
the extraction runs is retried and the attempt recorded; an SQL error is not retried; an
incremental column without an index is named; a changed source column fails the drift check.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid

import duckdb
import pytest
import sqlalchemy as sa

from tests.dbservers import mariadb_url, postgres_url
from tests.support.databases import admin, demo_in_server, module_settings, unique_name
from upflux_etl.catalog.models import ClientSpec, DatasetOverride, RetrySpec, SourceSpec
from upflux_etl.catalog.reader import read_catalog
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.session_options import SessionOptions
from upflux_etl.extract.source import open_batches
from upflux_etl.extract.transient import TERMINATED, TIMEOUT
from upflux_etl.onboarding.connect_test import connect_test
from upflux_etl.onboarding.discover import DiscoverOptions, discover_client
from upflux_etl.pipeline.extraction import Extraction, extract_with_retries
from upflux_etl.pipeline.source_checks import inspect_source
from upflux_etl.quality.source_schema import drift_outcome
from upflux_etl.settings import Settings
from upflux_etl.warehouse.meta.source_sessions import read_retries, write_sessions
from upflux_etl.warehouse.schema import ensure_schema
from upflux_etl.warehouse.work import attach_work

DEMO = {"beds": 30, "months": 1, "scale": 0.1, "end_date": "2026-09-30"}
PASSWORD = "R1ght-pass-" + uuid.uuid4().hex[:6]
WAIT_S = 120  # generous ceiling for a state to be reached on a busy machine


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    key = {"UPFLUX_PSEUDONYM_KEY": "onboarding-key-" + "0" * 32}
    with module_settings(tmp_path_factory.mktemp("onboarding"), **key) as settings_and_mp:
        yield settings_and_mp


@pytest.fixture(scope="module")
def pg_demo(env):
    with demo_in_server(env[0], "pg", "postgres", "upflux_onb", **DEMO) as demo:
        yield demo


@pytest.fixture(scope="module")
def maria_demo(env):
    with demo_in_server(env[0], "maria", "mariadb", "upflux_onb", **DEMO) as demo:
        yield demo


@pytest.fixture(scope="module")
def pg_reader(pg_demo):
    """A PostgreSQL role granted SELECT on the demo schema and nothing else."""
    url, schema, _ = pg_demo
    role = unique_name("upflux_ro")
    admin(
        url,
        f"create role {role} login",
        f'grant usage on schema "{schema}" to {role}',
        f'grant select on all tables in schema "{schema}" to {role}',
    )
    try:
        yield (
            sa.engine.make_url(url)
            .set(username=role, drivername="postgresql")
            .render_as_string(hide_password=False)
        )
    finally:
        admin(url, f"drop owned by {role}", f"drop role {role}")


@pytest.fixture(scope="module")
def maria_reader(maria_demo):
    """A MariaDB user with a password, granted SELECT on the demo database only."""
    url, database, _ = maria_demo
    user = unique_name("ro")[:30]
    admin(
        url,
        # %% : SQLAlchemy hands pymysql the statement to %-format.
        f"create user '{user}'@'%%' identified by '{PASSWORD}'",
        f"grant select on `{database}`.* to '{user}'@'%%'",
    )
    try:
        # its own database in the URL: it may not connect to `test`
        reader = sa.engine.make_url(url).set(username=user, password=None, database=database)
        yield reader.render_as_string(hide_password=False)
    finally:
        admin(url, f"drop user if exists '{user}'@'%%'")


def _with_source(client: ClientSpec, **changes) -> ClientSpec:
    sources = {
        name: SourceSpec.model_validate(
            {**source.model_dump(by_alias=True, exclude_none=True), **changes}
        )
        for name, source in client.sources.items()
    }
    return client.model_copy(update={"sources": sources})


def _run(settings: Settings, client: ClientSpec):
    return connect_test(settings, read_catalog(settings), client)


def test_connect_test_proves_a_select_only_postgres_role_read_only(env, pg_demo, pg_reader):
    settings, _ = env
    client = _with_source(pg_demo[2].client, url=pg_reader)
    result = _run(settings, client).as_dict()
    erp = result["sources"]["erp"]
    assert erp["connected"], erp["error"]
    assert erp["read_only"]["value"] is True, erp["read_only"]
    assert "has_table_privilege" in erp["read_only"]["how"]
    assert erp["read_only"]["account_can_write"] == []
    assert erp["datasets"]["exams"]["columns_ok"], erp["datasets"]["exams"]["problems"]
    assert erp["datasets"]["exams"]["rows"] > 0
    assert erp["dba"]["sessions"] == 1
    assert erp["dba"]["application_name"].startswith("upflux-etl")
    assert result["ok"], json.dumps(result, indent=1)[:3000]


def test_connect_test_refutes_a_writable_postgres_role(env, pg_demo):
    settings, _ = env
    result = _run(settings, pg_demo[2].client).as_dict()
    proof = result["sources"]["erp"]["read_only"]
    assert proof["value"] is False
    assert proof["session"] is True  # the session setting alone proves nothing
    assert any("superuser" in w or "INSERT" in w for w in proof["account_can_write"]), proof
    assert not result["ok"]


def test_connect_test_proves_and_refutes_on_mariadb(env, maria_demo, maria_reader):
    settings, mp = env
    mp.setenv("UPFLUX_TEST_RO_PASSWORD", PASSWORD)
    reader = _with_source(
        maria_demo[2].client, url=maria_reader, password_env="UPFLUX_TEST_RO_PASSWORD"
    )
    proven = _run(settings, reader).as_dict()["sources"]["erp"]
    assert proven["connected"], proven["error"]
    assert proven["read_only"]["value"] is True, proven["read_only"]
    assert proven["datasets"]["patients"]["columns_ok"], proven["datasets"]["patients"]
    assert PASSWORD not in json.dumps(proven)
    refuted = _run(settings, maria_demo[2].client).as_dict()["sources"]["erp"]["read_only"]
    assert refuted["value"] is False
    assert any(w.startswith("INSERT") for w in refuted["account_can_write"]), refuted


def test_a_wrong_password_fails_within_the_connect_timeout_with_a_clear_message(
    env, maria_demo, maria_reader
):
    settings, mp = env
    wrong = "Wr0ng-" + uuid.uuid4().hex[:8]
    mp.setenv("UPFLUX_TEST_RO_PASSWORD", wrong)
    client = _with_source(
        maria_demo[2].client,
        url=maria_reader,
        password_env="UPFLUX_TEST_RO_PASSWORD",
        connect_timeout_s=30,
    )
    started = time.monotonic()
    result = _run(settings, client).as_dict()
    elapsed = time.monotonic() - started
    erp = result["sources"]["erp"]
    assert not erp["connected"]
    assert "Access denied" in erp["error"]
    assert wrong not in json.dumps(result)
    # Refused by the server, not retried nor waited on: well inside the connect timeout.
    assert elapsed < 30


def test_discover_never_shows_a_personal_value(env, pg_demo):
    settings, _ = env
    url, schema, demo = pg_demo
    personal = admin(url, f'select nm_paciente, nr_cpf, nr_cartao_sus from "{schema}".paciente')[0]
    values = {v for row in personal for v in row if v}
    found = discover_client(settings, demo.client, DiscoverOptions())
    text = json.dumps(found, ensure_ascii=False, default=str)
    assert values and not [v for v in values if v in text]
    paciente = found["sources"]["erp"]["tables"]["paciente"]
    for column in ("nm_paciente", "nr_cpf", "nr_cartao_sus"):
        assert "personal" in paciente["columns"][column]
        assert "codes" not in paciente["columns"][column]
    assert "cd_paciente" in paciente["candidate_keys"]
    stamps = {t["column"]: t["indexed"] for t in paciente["timestamp_columns"]}
    assert stamps["dt_atualizacao"] is True
    assert paciente["columns"]["ie_sexo"]["codes"]  # a low-cardinality code column is listed
    exact = discover_client(settings, demo.client, DiscoverOptions(tables="paciente", exact=True))
    assert list(exact["sources"]["erp"]["tables"]) == ["paciente"]
    assert exact["sources"]["erp"]["tables"]["paciente"]["rows"] == len(personal)


def test_an_incremental_column_without_an_index_is_named(env, pg_demo):
    settings, _ = env
    url, schema, demo = pg_demo
    before = _run(settings, demo.client).as_dict()["sources"]["erp"]["datasets"]["exams"]
    assert before["warnings"] == []
    admin(url, f'drop index "{schema}".ix_pedido_exame_dt_atualizacao')
    try:
        after = _run(settings, demo.client).as_dict()["sources"]["erp"]["datasets"]["exams"]
        assert any("pedido_exame.dt_atualizacao" in w for w in after["warnings"]), after
        findings = inspect_source(
            "erp",
            "exams",
            url,
            schema,
            "select nr_pedido, dt_atualizacao from pedido_exame",
            "dt_atualizacao",
            SessionOptions(),
        )
        assert findings.unindexed == ["pedido_exame.dt_atualizacao"]
    finally:
        admin(
            url,
            f'create index ix_pedido_exame_dt_atualizacao on "{schema}".pedido_exame (dt_atualizacao)',
        )


def test_a_new_source_column_fails_the_drift_check(env, pg_demo):
    url, schema, _ = pg_demo
    table = unique_name("drift")
    admin(url, f'create table "{schema}".{table} (id int, updated_at timestamp)')
    sql = f"select id, updated_at from {table}"
    first = inspect_source("erp", "x", url, schema, sql, "updated_at", SessionOptions())
    assert drift_outcome("x", first.columns, None).passed
    admin(url, f'alter table "{schema}".{table} add column novo varchar(10)')
    second = inspect_source("erp", "x", url, schema, sql, "updated_at", SessionOptions())
    check = drift_outcome("x", second.columns, first.columns)
    assert not check.passed and check.failing_count == 1
    assert f"{table}.novo: coluna nova" in check.description


def test_latin1_text_round_trips_from_a_latin1_postgres_database():
    url = postgres_url()
    name = unique_name("upflux_latin1")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql(
            f"create database {name} encoding 'LATIN1' template template0 "
            "lc_collate 'C' lc_ctype 'C'"
        )
    try:
        latin1 = sa.engine.make_url(url).set(database=name)
        admin(
            latin1.render_as_string(hide_password=False),
            "set client_encoding to 'UTF8'",
            "create table texto (v varchar(20))",
            "insert into texto values ('ação'), ('é'), ('ç ã é')",
        )
        source = latin1.set(drivername="postgresql").render_as_string(hide_password=False)
        with open_batches(
            source,
            "select v from texto order by v",
            schema=None,
            batch_rows=10,
            session=SessionOptions(encoding="LATIN1"),
        ) as batches:
            values = [v for b in batches for v in b.column(0).to_pylist()]
        assert sorted(values) == sorted(["ação", "é", "ç ã é"])
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"drop database if exists {name} with (force)")
        engine.dispose()


def _pg_table(url: str, schema: str, rows: int) -> str:
    table = unique_name("kill")
    admin(
        url,
        f'create table "{schema}".{table} as select g as n from generate_series(1, {rows}) as g',
    )
    return table


def _landing() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_schema(con)
    attach_work(con)  # landing, as on a build connection
    return con


def _extraction(url: str, schema: str, sql: str, app: str, attempts: int = 3) -> Extraction:
    return Extraction(
        "erp",
        "probe_ds",
        sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
        sql,
        schema,
        1000,
        SessionOptions(application_name=app),
        RetrySpec(attempts=attempts, backoff_s=0.01, max_backoff_s=0.05),
    )


def test_a_killed_connection_is_retried_and_the_attempt_recorded(pg_demo):
    url, schema, _ = pg_demo
    table = _pg_table(url, schema, 5000)
    app = unique_name("upflux-kill")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    locker = engine.connect()
    locker.exec_driver_sql(f'lock table "{schema}".{table} in access exclusive mode')
    killed: list[int] = []

    def kill_when_waiting() -> None:
        # Our session waits on the lock: state 'active', wait_event_type 'Lock'.
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and not killed:
            rows = admin(
                url,
                "select pg_terminate_backend(pid) from pg_stat_activity "
                f"where application_name = '{app}' and state = 'active' "
                "and wait_event_type = 'Lock'",
            )[0]
            killed.extend(1 for r in rows if r[0])
            time.sleep(0.05)  # polling a state, not waiting a fixed time for it
        locker.rollback()  # release the lock: the retry then reads the table

    killer = threading.Thread(target=kill_when_waiting)
    killer.start()
    con = _landing()
    try:
        attempts = extract_with_retries(
            con, _extraction(url, schema, f"select n from {table}", app), lambda b: b
        )
    finally:
        killer.join()
        locker.close()
        engine.dispose()
    assert killed
    outcomes = [(s.attempt, s.outcome, s.reason) for s in attempts.sessions]
    assert outcomes[0] == (1, "retried", TERMINATED)
    assert outcomes[-1][1] == "ok" and attempts.sessions[-1].rows_read == 5000
    assert con.sql('select count(*) from landing."probe_ds"').fetchall() == [(5000,)]
    write_sessions(con, "load-1", attempts.sessions)
    assert read_retries(con, "load-1") == {"probe_ds": [{"attempt": 1, "reason": TERMINATED}]}


def test_an_sql_error_is_not_retried(pg_demo):
    url, schema, _ = pg_demo
    waits: list[float] = []
    with pytest.raises(SourceError) as err:
        extract_with_retries(
            _landing(),
            _extraction(url, schema, "select nope from no_such_table_42", "upflux-sqlerr"),
            lambda b: b,
            sleep=waits.append,
        )
    assert err.value.transient is None
    assert "no_such_table_42" in str(err.value)
    assert waits == []


def test_transient_errors_are_retried_until_the_attempts_run_out(pg_demo):
    url, schema, _ = pg_demo
    closed = sa.engine.make_url(url).set(port=1).render_as_string(hide_password=False)
    waits: list[float] = []
    with pytest.raises(SourceError) as err:
        extract_with_retries(
            _landing(),
            _extraction(closed, schema, "select 1 as a", "upflux-closed", attempts=3),
            lambda b: b,
            sleep=waits.append,
            draw=lambda: 1.0,
        )
    assert err.value.transient is not None
    assert "after 3 of 3 attempt(s)" in str(err.value)
    assert waits == [0.01, 0.02]  # exponential: backoff_s * 2 ** (attempt - 1), full jitter


def test_connect_test_on_sqlite_says_what_it_cannot_prove(settings, pseudonym_key):
    from tests.support.demo import make_demo

    demo = make_demo(settings, **DEMO)
    result = _run(settings, demo.client)
    data = result.as_dict()
    erp = data["sources"]["erp"]
    assert erp["read_only"]["value"] is True
    assert "nothing here proves" in erp["read_only"]["how"]
    assert any("SQLite gives no types" in n for n in erp["notes"])
    assert all(d["columns_ok"] for d in erp["datasets"].values()), erp["datasets"]
    assert result.ok
    assert dt.datetime.fromisoformat(data["at"]).tzinfo is not None


def test_a_load_shows_its_sessions_in_the_run_metadata_the_report_and_no_run_level_retry(
    settings, pseudonym_key
):
    from tests.support.demo import make_demo, materialize_client
    from upflux_etl.definitions.factories import client_assets, client_job

    demo = make_demo(settings, **DEMO)
    result = materialize_client(demo)
    assert result.success
    exams = next(
        m
        for m in result.asset_materializations_for_node("demo__datasets__exams")
        if m.asset_key.path[-1] == "exams"
    )
    meta = {k: v.value for k, v in exams.metadata.items()}
    assert meta["extraction_attempts"] == 1 and meta["retries"] == 0
    assert meta["retry_reasons"] == "" and meta["source_sessions"] == 2  # probe + extraction
    assert meta["unindexed_incremental_columns"] == ""  # the demo ERP indexes dt_atualizacao
    drift = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.check_name == "source_schema_unchanged"
    ]
    assert len(drift) >= 9 and all(d.passed for d in drift)
    # Retries are the extraction's: nothing at the run or asset level redoes a whole load.
    job = client_job(demo.client)
    assert not any("retries" in k for k in (job.tags or {}))
    for asset in client_assets(demo.client, read_catalog(settings), settings):
        if hasattr(asset, "op"):
            assert asset.op.retry_policy is None
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        sessions = con.sql(
            "select purpose, count(*) from meta.source_sessions group by purpose order by 1"
        ).fetchall()
    finally:
        con.close()
    assert dict(sessions)["extract"] == dict(sessions)["probe"] >= 9
    from upflux_etl.status import read_status

    status = read_status(settings, demo.client, read_catalog(settings))
    assert status["sources"]["erp"]["sessions"] >= 18 and status["retries"] == {}
    assert status["sources"]["erp"]["rows_read"] == sum(
        d["extracted"] for name, d in status["datasets"].items() if name != "platform_usage"
    )
    report = sorted((settings.client_dir("demo") / "reports").glob("*.html"))[-1]
    assert "O que o DBA do hospital vê" in report.read_text("utf-8")


@pytest.mark.parametrize(
    ("server", "sql"),
    [("postgres", "select pg_sleep(30) as a"), ("mariadb", "select sleep(30) as a")],
)
def test_the_statement_timeout_stops_a_query_and_counts_as_transient(server, sql):
    url = postgres_url() if server == "postgres" else mariadb_url()
    if server == "postgres":
        url = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)
    waits: list[float] = []
    extraction = Extraction(
        "erp",
        "slow",
        url,
        sql,
        None,
        10,
        SessionOptions(application_name="upflux-timeout", statement_timeout_s=1),
        RetrySpec(attempts=2, backoff_s=0.01),
    )
    with pytest.raises(SourceError) as err:
        extract_with_retries(_landing(), extraction, lambda b: b, sleep=waits.append)
    assert err.value.transient == TIMEOUT, str(err.value)
    assert "after 2 of 2 attempt(s)" in str(err.value)
    assert len(waits) == 1


def test_every_column_mismatch_is_explained_with_the_query_file_and_column(env, pg_demo):
    settings, _ = env
    sql = (settings.root / "connectors" / "hospitalis" / "exams.sql").read_text("utf-8")
    wrong = sql.replace("p.dt_pedido as ordered_at", "p.cd_exame as ordered_at").replace(
        "p.ie_urgencia as priority", "p.ie_urgencia as prioridade"
    )
    assert wrong != sql
    client = pg_demo[2].client
    own = DatasetOverride(sql=wrong)  # the client's own query, inline in its file
    client = client.model_copy(
        update={
            "queries": {**client.queries, "exams": wrong},
            "datasets": {**client.datasets, "exams": own},
        }
    )
    exams = _run(settings, client).as_dict()["sources"]["erp"]["datasets"]["exams"]
    assert exams["columns_ok"] is False
    where = f"{client.file}: datasets.exams.sql"
    assert exams["query"] == where
    problems = exams["problems"]
    assert len(problems) == 3, problems
    assert all(p.startswith(where) for p in problems)
    assert any("column priority missing" in p for p in problems)
    assert any("column prioridade is not in the canonical dataset exams" in p for p in problems)
    assert any(
        "column ordered_at: int" in p and "cannot become timestamp" in p for p in problems
    ), problems
