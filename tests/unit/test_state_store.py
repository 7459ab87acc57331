"""The state store on SQLite: runs, health history, append-only checklist, actions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from tests.unit.test_state_support import ledger, make_run, utc
from upflux_etl.state import HealthRecord, RunRecord, StateStore
from upflux_etl.state.schema import SCHEMA_VERSION


@pytest.fixture
def store(tmp_path):
    s = StateStore(f"sqlite:///{tmp_path / 'state.sqlite'}")
    yield s
    s.dispose()


def _health(as_of: date, score: float, client: str = "hosp_a") -> HealthRecord:
    return HealthRecord(
        client=client,
        as_of=as_of,
        score=score,
        band="green",
        factors={"freshness": {"value": 1}},
        previous_score=None,
        trend=None,
        next_actions=[],
        computed_at=utc(2026, 10, 1),
    )


def test_sqlite_connections_use_wal_and_a_busy_timeout(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("pragma busy_timeout").scalar() >= 5000


def test_the_sqlite_folder_is_created_and_memory_stores_work(tmp_path):
    nested = StateStore(f"sqlite:///{tmp_path / 'data' / 'new' / 'state.sqlite'}")
    nested.record_checklist_event("hosp_a", "kickoff", "done", "ana")
    assert (tmp_path / "data" / "new" / "state.sqlite").is_file()
    memory = StateStore("sqlite://")
    memory.record_checklist_event("hosp_a", "kickoff", "done", "ana")
    assert len(memory.checklist_events("hosp_a")) == 1


def test_schema_version_is_recorded_once_across_reopenings(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    StateStore(url).dispose()
    store = StateStore(url)
    with store.engine.connect() as conn:
        versions = conn.execute(sa.select(store.tables.schema_version.c.version)).scalars().all()
    assert versions == [SCHEMA_VERSION]


def test_runs_round_trip_newest_first_and_replace_by_load(store):
    first = make_run(
        "L1",
        utc(2026, 10, 1, 5),
        books=ledger(encounters=(10, 8, 2, 0)),
        checks=[
            {
                "dataset": "encounters",
                "name": "x",
                "level": "row",
                "blocking": False,
                "passed": False,
                "failing_count": 2,
            }
        ],
        indicators={"occupancy_rate": 12},
        report_path="/r.html",
        report_sha256="a" * 64,
    )
    second = make_run("L2", utc(2026, 10, 2, 5), status="held")
    store.record_run(first)
    store.record_run(second)
    assert [r.load_id for r in store.runs("hosp_a")] == ["L2", "L1"]
    assert store.runs("hosp_a")[1] == first  # JSON, booleans and UTC timestamps survive
    assert store.last_run("hosp_a").status == "held"
    assert store.runs("hosp_a", limit=1) == [store.last_run("hosp_a")]
    store.record_run(make_run("L2", utc(2026, 10, 2, 5), status="published"))
    assert [r.status for r in store.runs("hosp_a")] == ["published", "published"]
    assert store.runs("other") == [] and store.last_run("other") is None


def test_run_record_refuses_unknown_status_and_naive_times():
    with pytest.raises(ValueError, match="status"):
        make_run("L1", utc(2026, 10, 1), status="ok")
    with pytest.raises(ValueError, match="timezone-aware"):
        RunRecord(
            "c", "L", "r", utc(2026, 1, 1).replace(tzinfo=None), None, "failed", "full", False
        )


def test_ledger_balance_is_judged_per_dataset():
    run = make_run("L1", utc(2026, 10, 1), books=ledger(a=(10, 7, 2, 1), b=(5, 3, 1, 0)))
    assert run.unbalanced() == ["b"] and not run.reconciles
    assert make_run("L2", utc(2026, 10, 1), books=ledger(a=(10, 7, 2, 1))).reconciles
    assert not make_run("L3", utc(2026, 10, 1), books={}).reconciles


def test_recomputing_a_day_replaces_its_score(store):
    store.record_health(_health(date(2026, 10, 1), 70))
    store.record_health(_health(date(2026, 10, 2), 75))
    store.record_health(_health(date(2026, 10, 1), 60))
    history = store.health_history("hosp_a")
    assert [(h.as_of, h.score) for h in history] == [
        (date(2026, 10, 1), 60),
        (date(2026, 10, 2), 75),
    ]
    assert store.health_before("hosp_a", date(2026, 10, 2)).score == 60
    assert store.health_before("hosp_a", date(2026, 10, 1)) is None


def test_health_history_days_counts_back_from_the_newest_day(store):
    for d in range(10):
        store.record_health(_health(date(2026, 10, 1) + timedelta(days=d), 50 + d))
    assert [h.score for h in store.health_history("hosp_a", days=3)] == [57, 58, 59]
    assert store.health_history("nobody", days=3) == []


def test_checklist_corrections_are_new_events_and_nothing_is_lost(store):
    first = store.record_checklist_event(
        "hosp_a",
        "kickoff",
        "done",
        "ana",
        note="feita",
        details={"date": "2026-09-01"},
        recorded_at=utc(2026, 9, 1),
    )
    fix = store.record_checklist_event(
        "hosp_a",
        "kickoff",
        "not_done",
        "bruno",
        note="era outra reunião",
        recorded_at=utc(2026, 9, 2),
    )
    events = store.checklist_events("hosp_a")
    assert [e.id for e in events] == [first.id, fix.id]
    assert events[0].details == {"date": "2026-09-01"} and events[0].recorded_by == "ana"
    assert store.checklist_events("hosp_a", item="training_1") == []


@pytest.mark.parametrize(
    "statement", ["update checklist_events set note = 'x'", "delete from checklist_events"]
)
def test_checklist_events_refuse_update_and_delete_in_the_database(store, statement):
    store.record_checklist_event("hosp_a", "kickoff", "done", "ana")
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert len(store.checklist_events("hosp_a")) == 1


def test_checklist_event_needs_who_and_a_known_status(store):
    with pytest.raises(ValueError, match="recorded_by"):
        store.record_checklist_event("hosp_a", "kickoff", "done", " ")
    with pytest.raises(ValueError, match="status"):
        store.record_checklist_event("hosp_a", "kickoff", "finished", "ana")


def test_open_actions_are_upserted_by_client_and_kind(store):
    a = store.upsert_open_action(
        "hosp_a", "carga_atrasada", "50 h", "integracao", date(2026, 10, 2)
    )
    b = store.upsert_open_action("hosp_a", "carga_atrasada", "74 h", "outro", date(2026, 10, 9))
    assert a.id == b.id and b.reason == "74 h"
    assert (b.owner, b.due_date) == ("integracao", date(2026, 10, 2))  # first detection sets them
    store.upsert_open_action("hosp_b", "carga_atrasada", "x", "integracao", date(2026, 10, 2))
    assert len(store.actions("hosp_a")) == 1 and len(store.actions("hosp_b")) == 1


def test_a_done_action_stays_closed_until_its_cause_was_gone_and_returns(store):
    at = utc(2026, 10, 4, 12)
    a = store.upsert_open_action("hosp_a", "uso_parcial", "r", "ana", date(2026, 10, 4))
    store.set_action_status(a.id, "done", "contato feito", "ana", at=at)
    still = store.upsert_open_action(
        "hosp_a", "uso_parcial", "r", "ana", date(2026, 10, 8), as_of=date(2026, 10, 5)
    )
    assert still.id == a.id and still.status == "done"  # the cause never went away
    assert store.clear_absent_actions("hosp_a", set(), date(2026, 10, 6)) == [a.id]
    assert store.action(a.id).cleared_on == date(2026, 10, 6)
    b = store.upsert_open_action(
        "hosp_a", "uso_parcial", "r", "ana", date(2026, 10, 10), as_of=date(2026, 10, 7)
    )
    assert b.id != a.id and b.status == "open" and b.due_date == date(2026, 10, 10)


def test_a_snooze_holds_until_its_date_then_the_same_action_opens(store):
    a = store.upsert_open_action("hosp_a", "uso_parcial", "r", "ana", date(2026, 10, 8))
    snoozed = store.set_action_status(
        a.id, "snoozed", "hospital em férias", "ana", due_date=date(2026, 10, 20)
    )
    held = store.upsert_open_action(
        "hosp_a", "uso_parcial", "r", "ana", date(2026, 10, 9), as_of=date(2026, 10, 10)
    )
    assert held.id == snoozed.id and held.status == "snoozed"
    assert store.clear_absent_actions("hosp_a", set(), date(2026, 10, 11)) == []
    woke = store.upsert_open_action(
        "hosp_a", "uso_parcial", "r2", "ana", date(2026, 10, 24), as_of=date(2026, 10, 20)
    )
    assert (woke.id, woke.status, woke.reason) == (a.id, "open", "r2")
    assert woke.due_date == date(2026, 10, 20)


def test_an_existing_version_1_store_gains_the_new_column(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "create table actions (id integer primary key, client varchar, kind varchar, "
            "reason text, owner varchar, due_date date, status varchar, status_reason text, "
            "created_at datetime, updated_at datetime, updated_by varchar)"
        )
        conn.exec_driver_sql(
            "insert into actions values (1, 'hosp_a', 'k', 'r', 'ana', '2026-10-04', 'open', "
            "'', '2026-10-01 00:00:00', '2026-10-01 00:00:00', 'health')"
        )
        conn.exec_driver_sql(
            "create table schema_version (version integer primary key, "
            "applied_at datetime not null)"
        )
        conn.exec_driver_sql("insert into schema_version values (1, '2026-10-01 00:00:00')")
    engine.dispose()
    store = StateStore(url)
    try:
        (kept,) = store.actions("hosp_a")
        assert (kept.kind, kept.cleared_on) == ("k", None)
        with store.engine.connect() as conn:
            versions = conn.exec_driver_sql("select version from schema_version").scalars()
            assert sorted(versions) == [1, SCHEMA_VERSION]
    finally:
        store.dispose()
    StateStore(url).dispose()  # a second opening migrates nothing


def test_a_once_action_is_never_raised_again(store):
    a = store.upsert_open_action(
        "hosp_a", "cs_contato_3d", "r", "ana", date(2026, 10, 4), once=True
    )
    store.set_action_status(a.id, "done", "", "ana")
    again = store.upsert_open_action(
        "hosp_a", "cs_contato_3d", "r", "ana", date(2026, 10, 4), once=True
    )
    assert again.id == a.id and again.status == "done"
    assert len(store.actions("hosp_a")) == 1


def test_dismissing_or_snoozing_needs_a_reason(store):
    a = store.upsert_open_action("hosp_a", "k", "r", "ana", date(2026, 10, 4))
    with pytest.raises(ValueError, match="reason"):
        store.set_action_status(a.id, "dismissed", "", "ana")
    with pytest.raises(ValueError, match="due_date"):
        store.set_action_status(a.id, "snoozed", "depois", "ana")
    done = store.set_action_status(a.id, "dismissed", "falso alarme", "ana")
    assert (done.status, done.status_reason, done.updated_by) == (
        "dismissed",
        "falso alarme",
        "ana",
    )


def test_the_database_refuses_two_open_actions_of_one_kind(store):
    store.upsert_open_action("hosp_a", "k", "r", "ana", date(2026, 10, 4))
    row = store.actions("hosp_a")[0]
    values = {
        c: getattr(row, c)
        for c in (
            "client",
            "kind",
            "reason",
            "owner",
            "due_date",
            "status",
            "status_reason",
            "created_at",
            "updated_at",
            "updated_by",
        )
    }
    with pytest.raises(sa.exc.IntegrityError):
        with store.engine.begin() as conn:
            conn.execute(store.tables.actions.insert().values(**values))
