"""Gathering the health inputs from a warehouse and a store, as of past days (backfill)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.test_state_support import canonical, make_client, make_run, make_warehouse, utc
from upflux_etl.catalog.reader import read_health, read_rounds
from upflux_etl.health import backfill, gather_inputs, score_client
from upflux_etl.settings import project_root
from upflux_etl.state import StateStore
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.files import connect
from upflux_etl.warehouse.schema import ensure_schema

TODAY = date(2026, 10, 31)
NOW = utc(2026, 10, 31, 15)  # 12:00 in Sao Paulo
FIRST_LOAD = date(2026, 10, 20)
COLLAPSE_FROM = date(2026, 10, 25)


def nightly(day: date) -> datetime:
    """02:10 in Sao Paulo on `day` (05:10 UTC)."""
    return utc(day.year, day.month, day.day, 5, 10)


@pytest.fixture
def model():
    return canonical()


@pytest.fixture
def world(tmp_path, model):
    """Encounters 20 a day (at 10:00 local) until the ERP module stops on COLLAPSE_FROM;
    exams steady; nightly loads from FIRST_LOAD; the platform used from Oct 26."""
    con = make_warehouse(tmp_path / "warehouse.duckdb", model)
    con.execute(
        """
        insert into main.encounters
            (encounter_id, patient_key, encounter_type, status, admitted_at, updated_at)
        select 'E' || d::date || '-' || i, 'pk', 'inpatient', 'active',
               (d::timestamp + interval 10 hour)::timestamptz, now()
        from range(date '2026-08-01', date '2026-10-25', interval 1 day) as t(d), range(20) as s(i)
        """
    )
    con.execute(
        """
        insert into main.exams (order_id, encounter_id, exam_kind, priority, ordered_at, updated_at)
        select 'X' || d::date || '-' || i, 'E1', 'lab', 'routine',
               (d::timestamp + interval 9 hour)::timestamptz, now()
        from range(date '2026-08-01', date '2026-11-01', interval 1 day) as t(d), range(10) as s(i)
        """
    )
    con.execute(
        """
        insert into main.platform_usage (user_key, usage_date, module, logins, actions)
        values ('u1', date '2026-10-26', 'dashboards', 1, 5),
               ('u1', date '2026-10-29', 'process_maps', 1, 0),
               ('u2', date '2026-10-29', 'reports', 0, 0)
        """
    )
    store = StateStore(f"sqlite:///{tmp_path / 'state.sqlite'}")
    day = FIRST_LOAD
    while day <= TODAY:
        store.record_run(make_run(f"L{day:%m%d}", nightly(day)))
        day += timedelta(days=1)
    yield con, store
    store.dispose()
    con.close()


@pytest.fixture
def config():
    return read_health(project_root())


@pytest.fixture
def rounds():
    return read_rounds(project_root())


def test_volumes_are_cut_by_day_in_the_hospital_zone(tmp_path, model):
    con = make_warehouse(tmp_path / "w.duckdb", model)
    # 23:30 in Sao Paulo on Oct 18 is already Oct 19 in UTC.
    con.execute(
        "insert into main.exams "
        "(order_id, encounter_id, exam_kind, priority, ordered_at, updated_at) "
        "values ('X1', 'E1', 'lab', 'routine', timestamptz '2026-10-19 02:30:00+00', now())"
    )
    store = StateStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    store.record_run(make_run("L1", utc(2026, 10, 20, 5)))
    inputs = gather_inputs(con, store, make_client(), model, date(2026, 10, 20), now=NOW)
    (exams,) = [f for f in inputs.flows if f.dataset == "exams"]
    counts = dict(zip(exams.days, exams.actual, strict=True))
    assert counts[date(2026, 10, 18)] == 1 and counts[date(2026, 10, 19)] == 0


def test_inputs_never_include_later_loads_or_events(world, model):
    con, store = world
    client = make_client()
    store.record_checklist_event(
        "hosp_a",
        "kickoff",
        "done",
        "ana",
        details={"date": "2026-10-22"},
        recorded_at=utc(2026, 10, 22, 14),
    )
    rounds = read_rounds(project_root())
    early = gather_inputs(con, store, client, model, date(2026, 10, 21), rounds=rounds, now=NOW)
    assert [r.load_id for r in early.runs] == ["L1021", "L1020"]
    assert early.checklist.item("kickoff").status == "pending"
    later = gather_inputs(con, store, client, model, date(2026, 10, 22), rounds=rounds, now=NOW)
    assert later.checklist.item("kickoff").status == "done"
    today = gather_inputs(con, store, client, model, TODAY, rounds=rounds, now=NOW)
    assert today.reference_at == NOW and today.runs[0].load_id == "L1031"


def test_before_the_first_load_only_what_was_known_counts(world, model):
    con, store = world
    inputs = gather_inputs(con, store, make_client(), model, date(2026, 10, 19), now=NOW)
    assert inputs.runs == () and inputs.flows == () and inputs.usage is None


def test_usage_window_and_activity(world, model, config):
    con, store = world
    inputs = gather_inputs(con, store, make_client(), model, TODAY, config=config, now=NOW)
    assert inputs.usage.modules_used == {"dashboards", "process_maps"}  # u2 did nothing
    before = gather_inputs(
        con, store, make_client(), model, date(2026, 10, 25), config=config, now=NOW
    )
    assert before.usage is None  # no usage data up to that day


def test_backfill_scores_each_day_from_what_was_known_then(world, model, config, rounds):
    con, store = world
    client = make_client()
    scores = backfill(con, store, client, model, config, rounds=rounds, days=30, now=NOW)
    history = store.health_history("hosp_a")
    assert [h.as_of for h in history] == [s.as_of for s in scores]
    # replayed from the ERP's own dates: every day has a score, the load-based factors only
    # from the first load on
    assert history[0].as_of == TODAY - timedelta(days=29) and history[-1].as_of == TODAY
    by_day = {h.as_of: h for h in history}
    before = by_day[FIRST_LOAD - timedelta(days=1)].factors
    assert not before["freshness"]["applies"] and not before["reconciliation"]["applies"]
    assert before["data_flow"]["applies"]
    first = by_day[FIRST_LOAD].factors
    assert first["freshness"]["applies"] and first["freshness"]["value"] == 1.0
    assert not first["platform_use"]["applies"]  # no usage data before Oct 26
    assert by_day[date(2026, 10, 26)].factors["platform_use"]["applies"]
    assert by_day[date(2026, 10, 24)].factors["data_flow"]["facts"]["collapsed"] == []
    assert by_day[date(2026, 10, 27)].factors["data_flow"]["facts"]["collapsed"] == ["encounters"]
    assert by_day[date(2026, 10, 27)].score < by_day[date(2026, 10, 24)].score
    assert by_day[date(2026, 10, 27)].trend == "down"
    assert by_day[date(2026, 10, 21)].previous_score == by_day[FIRST_LOAD].score


def test_backfill_opens_only_todays_actions_and_reruns_do_not_duplicate(
    world, model, config, rounds
):
    con, store = world
    client = make_client()
    scores = backfill(con, store, client, model, config, rounds=rounds, days=30, now=NOW)
    kinds = sorted(a.kind for a in store.actions("hosp_a"))
    assert kinds == sorted(a.kind for a in scores[-1].next_actions)  # today's only
    assert "queda_volume_encounters" in kinds and "uso_parcial" in kinds
    (collapse,) = [a for a in store.actions("hosp_a") if a.kind == "queda_volume_encounters"]
    assert collapse.owner == "integracao" and collapse.due_date == TODAY + timedelta(days=1)
    score_client(con, store, client, model, config, rounds=rounds, now=NOW)
    score_client(con, store, client, model, config, rounds=rounds, now=NOW)
    assert sorted(a.kind for a in store.actions("hosp_a")) == kinds
    assert len(store.health_history("hosp_a")) == 30


def test_score_client_on_a_day_without_anything_records_nothing(tmp_path, model, config):
    store = StateStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    score = score_client(None, store, make_client(), model, config, as_of=TODAY, now=NOW)
    assert score.score is None and store.health_history("hosp_a") == []


def test_datasets_not_judged_for_flow_are_left_out(world, model, config, rounds):
    con, store = world
    cfg = config.model_copy(
        update={"data_flow": config.data_flow.model_copy(update={"not_judged": ["encounters"]})}
    )
    inputs = gather_inputs(
        con, store, make_client(), model, TODAY, config=cfg, rounds=rounds, now=NOW
    )
    assert "encounters" not in {f.dataset for f in inputs.flows}


def test_the_day_a_load_was_cut_on_is_not_judged_for_flow(tmp_path, model, config):
    """A load at 15:00 extracted half of that day: the next morning must not read a collapse."""
    con = make_warehouse(tmp_path / "w.duckdb", model)
    con.execute(
        """
        insert into main.exams (order_id, encounter_id, exam_kind, priority, ordered_at, updated_at)
        select 'X' || d::date || '-' || i, 'E1', 'lab', 'routine',
               (d::timestamp + interval (i) hour)::timestamptz, now()
        from range(date '2026-08-01', date '2026-10-30', interval 1 day) as t(d), range(24) as s(i)
        where d::date < date '2026-10-29' or i < 12
        """
    )
    store = StateStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    store.record_run(make_run("L1", utc(2026, 10, 29, 18)))  # 15:00 in Sao Paulo
    inputs = gather_inputs(
        con, store, make_client(), model, date(2026, 10, 30), config=config, now=NOW
    )
    (exams,) = [f for f in inputs.flows if f.dataset == "exams"]
    assert exams.days[-1] == date(2026, 10, 28) and exams.actual[-1] == 24
    score = score_client(
        con, store, make_client(), model, config, as_of=date(2026, 10, 30), now=NOW
    )
    assert score.factors[2].facts["collapsed"] == []
    store.dispose()


def test_the_trend_compares_the_factors_that_applied_on_both_days(world, model, config, rounds):
    """The first load adds freshness, quality and the checklist to a replayed history: what
    the score measures changed, not how the hospital is doing."""
    con, store = world
    client = make_client()
    backfill(con, store, client, model, config, rounds=rounds, days=30, now=NOW)
    by_day = {h.as_of: h for h in store.health_history("hosp_a")}
    before, first = by_day[FIRST_LOAD - timedelta(days=1)], by_day[FIRST_LOAD]
    assert (
        first.factors["implementation"]["applies"] and first.factors["implementation"]["value"] < 1
    )
    assert first.score < before.score  # a lower total ...
    assert first.trend == "flat"  # ... yet the ERP's flow, measured on both days, held
    assert by_day[date(2026, 10, 27)].trend == "down"  # a real fall still reads as one


def test_the_flows_of_datasets_kept_as_parts_come_from_their_counters(world, model, tmp_path):
    """Issue 6: the health score's daily volumes are the parts' counters, less removed rows;
    a reader's read-only connection reads them without scanning the parts again."""
    con, store = world
    client = make_client()
    parts.remove(con, "exams", "t.order_id like 'X2026-10-30-%' and t.order_id < 'X2026-10-30-3'")
    scanned = gather_inputs(con, store, client, model, TODAY, now=NOW).flows
    ensure_schema(con)
    parts.ensure_parts(con, tmp_path)
    parts.migrate_tables(con)  # every dataset becomes one part
    parts.remove(con, "exams", "t.order_id = 'X2026-10-29-0'")  # a removal, read by position
    for dataset in ("encounters", "exams"):  # what a load does after writing its parts
        spec = model.datasets[dataset]
        parts.event_days(con, dataset, str(spec.event_column))
    con.execute("checkpoint")
    con.close()

    reader = connect(tmp_path / "warehouse.duckdb", "America/Sao_Paulo", read_only=True)
    try:
        (encounters_part,) = parts_of(reader, "encounters")
        encounters_part.rename(encounters_part.with_suffix(".away"))  # never read again
        counted = gather_inputs(reader, store, client, model, TODAY, now=NOW).flows
    finally:
        reader.close()
    by_dataset = {f.dataset: f for f in counted}
    assert by_dataset["encounters"] == next(f for f in scanned if f.dataset == "encounters")
    exams = next(f for f in scanned if f.dataset == "exams")
    day = exams.days.index(date(2026, 10, 29))
    assert by_dataset["exams"].actual == (*exams.actual[:day], 9, *exams.actual[day + 1 :])
    assert by_dataset["exams"].actual[day + 1] == 7  # the three removed while a plain table


def parts_of(con, dataset: str) -> list:
    root = con.execute("select root from meta.storage").fetchall()[0][0]
    rows = con.execute("select file from meta.parts where dataset = ?", [dataset]).fetchall()
    return [Path(root) / r[0] for r in rows]
