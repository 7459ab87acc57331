"""The state store on a real PostgreSQL server, in a schema of its own per test."""

from __future__ import annotations

import multiprocessing as mp
import os
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from upflux_etl.state import HealthRecord, RunRecord, StateStore
from upflux_etl.state.schema import SCHEMA_VERSION

pytestmark = pytest.mark.postgres

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
WORKERS = 4
WRITES = 15


def _unreachable(url: str) -> str | None:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server to test against"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


@pytest.fixture
def schema():
    problem = _unreachable(PG_URL)
    if problem:
        message = f"PostgreSQL not reachable at {PG_URL} ({problem})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; under CI the database tests must run")
        pytest.skip(message)
    name = f"upflux_state_test_{uuid.uuid4().hex[:12]}"
    yield name
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'drop schema if exists "{name}" cascade'))
    engine.dispose()


@pytest.fixture
def store(schema):
    s = StateStore(PG_URL, schema=schema)
    yield s
    s.dispose()


def _run(client: str, load_id: str, when: datetime, **kw) -> RunRecord:
    return RunRecord(
        client,
        load_id,
        f"r-{load_id}",
        when - timedelta(minutes=5),
        when,
        kw.pop("status", "published"),
        "incremental",
        True,
        ledger={"encounters": {"extracted": 3, "published": 3, "quarantined": 0, "held": 0}},
        **kw,
    )


def test_tables_live_in_their_schema_with_a_version(store, schema):
    with store.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names(schema=schema))
        version = conn.execute(sa.select(store.tables.schema_version.c.version)).scalars().all()
    assert {"schema_version", "runs", "health_scores", "checklist_events", "actions"} <= tables
    assert version == [SCHEMA_VERSION]
    StateStore(PG_URL, schema=schema).dispose()  # reopening creates nothing twice
    with store.engine.connect() as conn:
        assert (
            conn.execute(
                sa.select(sa.func.count()).select_from(store.tables.schema_version)
            ).scalar()
            == 1
        )


def test_runs_round_trip_in_utc_and_replace_by_load(store):
    when = datetime(2026, 10, 30, 2, 10, tzinfo=UTC)
    store.record_run(
        _run("hosp_a", "L1", when, report_sha256="f" * 64, checks=[{"name": "x", "passed": True}])
    )
    store.record_run(_run("hosp_a", "L2", when + timedelta(days=1)))
    store.record_run(_run("hosp_a", "L1", when, status="held"))
    runs = store.runs("hosp_a")
    assert [(r.load_id, r.status) for r in runs] == [("L2", "published"), ("L1", "held")]
    assert runs[1].finished_at == when and runs[1].finished_at.utcoffset() == timedelta(0)


def test_health_day_is_replaced(store):
    now = datetime.now(UTC)
    for score in (50.0, 60.0):
        store.record_health(
            HealthRecord(
                "hosp_a",
                date(2026, 10, 1),
                score,
                "yellow",
                {"f": {"value": 1}},
                None,
                None,
                [{"kind": "k"}],
                now,
            )
        )
    (record,) = store.health_history("hosp_a")
    assert record.score == 60.0 and record.next_actions == [{"kind": "k"}]


def test_checklist_events_are_append_only_in_the_database(store):
    store.record_checklist_event("hosp_a", "kickoff", "done", "ana", details={"date": "2026-09-01"})
    for statement in ("update {t} set note = 'x'", "delete from {t}"):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        statement.format(t=f'"{store.tables.metadata.schema}".checklist_events')
                    )
                )
    assert len(store.checklist_events("hosp_a")) == 1


def test_one_open_action_per_kind(store):
    a = store.upsert_open_action("hosp_a", "k", "r1", "ana", date(2026, 10, 4))
    b = store.upsert_open_action("hosp_a", "k", "r2", "ana", date(2026, 10, 9))
    assert a.id == b.id and b.reason == "r2"
    row = {c.name: getattr(b, c.name) for c in store.tables.actions.columns if c.name != "id"}
    with pytest.raises(IntegrityError):
        with store.engine.begin() as conn:
            conn.execute(store.tables.actions.insert().values(**row))


def _writer(schema: str, client: str, barrier) -> None:
    barrier.wait()
    store = StateStore(PG_URL, schema=schema)
    now = datetime.now(UTC)
    for i in range(WRITES):
        store.record_run(_run(client, f"L{i}", now))
        store.record_checklist_event(client, "kickoff", "done", "ana", note=str(i))
        store.upsert_open_action(
            "shared", "carga_atrasada", f"{client} {i}", "integracao", date(2026, 1, 2)
        )
    store.dispose()


def test_concurrent_processes_on_postgres(schema):
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=_writer, args=(schema, f"h{n}", barrier)) for n in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WORKERS
    store = StateStore(PG_URL, schema=schema)
    try:
        assert all(len(store.runs(f"h{n}")) == WRITES for n in range(WORKERS))
        assert all(len(store.checklist_events(f"h{n}")) == WRITES for n in range(WORKERS))
        assert len(store.actions("shared")) == 1
    finally:
        store.dispose()


def test_a_version_1_store_gains_the_actions_cleared_on_column(schema):
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
        conn.execute(
            sa.text(
                f'create table "{schema}".actions (id serial primary key, client varchar(200) '
                "not null, kind varchar(200) not null, reason text not null, owner varchar(200) "
                "not null, due_date date not null, status varchar(20) not null, status_reason "
                "text not null, created_at timestamptz not null, updated_at timestamptz not null, "
                "updated_by varchar(200) not null)"
            )
        )
        conn.execute(
            sa.text(
                f'insert into "{schema}".actions (client, kind, reason, owner, due_date, status, '
                "status_reason, created_at, updated_at, updated_by) values ('hosp_a', 'k', 'r', "
                "'ana', '2026-10-04', 'open', '', now(), now(), 'health')"
            )
        )
        conn.execute(
            sa.text(
                f'create table "{schema}".schema_version (version integer primary key, '
                "applied_at timestamptz not null)"
            )
        )
        conn.execute(sa.text(f'insert into "{schema}".schema_version values (1, now())'))
    engine.dispose()
    store = StateStore(PG_URL, schema=schema)
    try:
        (kept,) = store.actions("hosp_a")
        assert (kept.kind, kept.cleared_on) == ("k", None)
        assert store.clear_absent_actions("hosp_a", set(), date(2026, 10, 5)) == []  # open
        with store.engine.connect() as conn:
            versions = conn.execute(sa.select(store.tables.schema_version.c.version)).scalars()
            assert sorted(versions) == [1, SCHEMA_VERSION]
    finally:
        store.dispose()
    StateStore(PG_URL, schema=schema).dispose()  # a second opening migrates nothing
