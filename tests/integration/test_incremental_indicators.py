"""Indicators recomputed only for the months a load touched (SQLite ERP, real DuckDB, Dagster).

After a full load of the smallest demo, an incremental load changes rows across month
boundaries: an exam moved from August to the first hour of September, a July stay discharged
in August instead, an urgent readmission in August of a patient discharged late in July, and
a July exam deleted at the source (a tombstone: a published row removed by no row of the load).
Its values equal a full recompute of every indicator on the warehouse it published, and
`meta.indicator_runs` shows it recomputed only the months those rows reach. A later load with
one indicator's definition changed recomputes every month of that indicator.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3

import dagster as dg
import duckdb
import pytest

from tests.integration.test_demo_pipeline import load_rows
from tests.support.databases import module_settings
from tests.support.demo import DemoClient, make_demo
from upflux_etl.catalog.reader import Catalog, read_catalog
from upflux_etl.definitions.dagster_run import FULL_TAG
from upflux_etl.definitions.factories import client_assets
from upflux_etl.indicators.compute import (
    compute_coverage,
    compute_indicator,
    create_macros,
    register_parameters,
)

DEMO = {"beds": 40, "months": 3, "scale": 0.2}  # July to September 2026
TOUCHED_AT = "2026-10-15 08:00:00"  # after the demo's last timestamp, before the tests' now
JUL, AUG, SEP = dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    with module_settings(tmp_path_factory.mktemp("incind")) as (settings, _):
        yield settings


def _load(demo: DemoClient, instance, *, full: bool, catalog: Catalog | None = None):
    catalog = catalog or read_catalog(demo.settings)
    result = dg.materialize(
        client_assets(demo.client, catalog, demo.settings),
        instance=instance,
        tags={FULL_TAG: str(full).lower()},
        raise_on_error=False,
    )
    assert result.success
    return result.run_id


def _erp(demo: DemoClient) -> sqlite3.Connection:
    path = demo.settings.data_dir / "incind" / "erp.sqlite"  # clients/demo.yaml's URL, per stem
    assert path.exists(), path
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    return con


def _wall(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _change_rows_across_months(demo: DemoClient) -> str:
    """The three changes of the module's docstring, made in the ERP; the moved stay's id."""
    zone = demo.client.timezone
    order_id = load_rows(
        demo,
        "select order_id from main.exams where resulted_at is not null "
        "and ordered_at >= timestamptz '2026-08-10 00:00:00 America/Sao_Paulo' "
        "and ordered_at < timestamptz '2026-08-20 00:00:00 America/Sao_Paulo' "
        "order by order_id limit 1",
    )[0][0]
    inpatient = (
        "from main.encounters where encounter_type = 'inpatient' and status = 'active' "
        "and discharge_type = 'alta' "
    )
    stay_id = load_rows(
        demo,
        f"select encounter_id {inpatient} and admitted_at >= timestamptz "
        "'2026-07-05 00:00:00 America/Sao_Paulo' and discharged_at < timestamptz "
        "'2026-07-20 00:00:00 America/Sao_Paulo' order by encounter_id limit 1",
    )[0][0]
    index_id, discharged = load_rows(
        demo,
        f"select encounter_id, discharged_at at time zone '{zone}' {inpatient} "
        "and discharged_at >= timestamptz '2026-07-24 00:00:00 America/Sao_Paulo' "
        "and discharged_at < timestamptz '2026-07-29 00:00:00 America/Sao_Paulo' "
        "order by encounter_id limit 1",
    )[0]
    deleted_id = load_rows(
        demo,
        "select order_id from main.exams where resulted_at is not null "
        "and ordered_at >= timestamptz '2026-07-10 00:00:00 America/Sao_Paulo' "
        "and ordered_at < timestamptz '2026-07-20 00:00:00 America/Sao_Paulo' "
        "order by order_id limit 1",
    )[0][0]
    start = dt.datetime(2026, 9, 1, 0, 30)
    erp = _erp(demo)
    with erp:
        erp.execute("delete from pedido_exame where nr_pedido = ?", [int(deleted_id)])
        erp.execute(
            "update pedido_exame set dt_pedido = ?, dt_coleta = ?, dt_realizacao = null, "
            "dt_resultado = ?, dt_liberacao = ?, dt_atualizacao = ? where nr_pedido = ?",
            [
                _wall(start),
                _wall(start + dt.timedelta(minutes=20)),
                _wall(start + dt.timedelta(hours=2)),
                _wall(start + dt.timedelta(hours=3)),
                TOUCHED_AT,
                int(order_id),
            ],
        )
        erp.execute(
            "update atendimento set dt_alta = ?, dt_atualizacao = ? where cd_atendimento = ?",
            ["2026-08-02 10:00:00", TOUCHED_AT, int(stay_id)],
        )
        row = dict(
            erp.execute(
                "select * from atendimento where cd_atendimento = ?", [int(index_id)]
            ).fetchone()
        )
        admitted = discharged + dt.timedelta(days=10)  # in August
        row.update(
            cd_atendimento=erp.execute(
                "select max(cd_atendimento) + 1 from atendimento"
            ).fetchone()[0],
            ie_carater_inter="02",  # urgencia
            dt_entrada=_wall(admitted),
            dt_alta=_wall(admitted + dt.timedelta(days=3)),
            cd_motivo_alta=11,
            dt_atualizacao=TOUCHED_AT,
        )
        marks = ", ".join("?" for _ in row)
        erp.execute(
            f"insert into atendimento ({', '.join(row)}) values ({marks})", list(row.values())
        )
    erp.close()
    return stay_id


@pytest.fixture(scope="module")
def loads(settings):
    demo = make_demo(settings, "incind", **DEMO)
    instance = dg.DagsterInstance.ephemeral()
    full = _load(demo, instance, full=True)
    stay_id = _change_rows_across_months(demo)
    incremental = _load(demo, instance, full=False)
    return demo, instance, full, incremental, stay_id


def _runs(demo: DemoClient, load_id: str) -> dict[str, tuple]:
    rows = load_rows(
        demo,
        "select indicator, recomputed, reason, months, from_month from meta.indicator_runs "
        "where load_id = ?",
        [load_id],
    )
    return {r[0]: (r[1], r[2], set(r[3] or ()), r[4]) for r in rows}


def _stored(demo: DemoClient, load_id: str) -> dict[str, list[tuple]]:
    rows = load_rows(
        demo,
        "select indicator, period, dimensions, measure, value from meta.indicator_values "
        "where load_id = ? order by all",
        [load_id],
    )
    found: dict[str, list[tuple]] = {}
    for indicator, *rest in rows:
        found.setdefault(indicator, []).append(tuple(rest))
    return found


def _recomputed(demo: DemoClient) -> dict[str, list[tuple]]:
    """Every indicator of the client computed whole on its published warehouse."""
    catalog = read_catalog(demo.settings)
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        con.execute("set TimeZone = ?", [demo.client.timezone])
        create_macros(con, catalog.macros)
        register_parameters(con, demo.client.triage)
        found = {}
        for name in demo.client.indicators:
            table = compute_indicator(con, catalog.indicators[name])
            found[name] = sorted(
                (r["period"], r["dimensions"], r["measure"], r["value"])
                for r in table.to_pylist()
                if r["value"] is not None
            )
        return found
    finally:
        con.close()


def _coverage(demo: DemoClient, load_id: str) -> tuple[dict, dict]:
    """(the coverage the load stored, the coverage counted whole on its warehouse), per indicator."""
    stored: dict[str, list[tuple]] = {}
    for indicator, *rest in load_rows(
        demo,
        "select indicator, period, rows, covered from meta.indicator_coverage "
        "where load_id = ? order by all",
        [load_id],
    ):
        stored.setdefault(indicator, []).append(tuple(rest))
    catalog = read_catalog(demo.settings)
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        con.execute("set TimeZone = ?", [demo.client.timezone])
        counted = {
            name: [
                tuple(r.values())
                for r in compute_coverage(con, catalog.indicators[name]).to_pylist()
            ]
            for name in demo.client.indicators
        }
    finally:
        con.close()
    return stored, counted


def _assert_equal_to_a_full_recompute(demo: DemoClient, load_id: str) -> None:
    stored, full = _stored(demo, load_id), _recomputed(demo)
    assert set(full) == set(demo.client.indicators) and len(full) == 13
    for name, values in full.items():
        got = stored.get(name, [])
        assert [v[:3] for v in got] == [v[:3] for v in values], name
        assert [v[3] for v in got] == pytest.approx([v[3] for v in values], rel=1e-9), name
    # the coverage too: the touched months counted again, the others carried
    kept, counted = _coverage(demo, load_id)
    assert kept == counted and all(counted.values())


def test_the_incremental_load_equals_a_full_recompute_of_all_13_indicators(loads):
    demo, _, full, incremental, _ = loads
    _assert_equal_to_a_full_recompute(demo, incremental)
    # the changes did change values: carrying the full load's values would not pass
    before, after = _stored(demo, full), _stored(demo, incremental)
    for name in ("exam_turnaround", "average_length_of_stay", "readmission_30d"):
        assert before[name] != after[name], name
    assert (
        _coverage(demo, full)[0]["exam_turnaround"]
        != _coverage(demo, incremental)[0]["exam_turnaround"]
    )  # the exam moved between months changed their counts: carrying all would not pass


def test_the_full_load_recomputed_every_month(loads):
    demo, _, full, _, _ = loads
    runs = _runs(demo, full)
    assert len(runs) == 13
    assert {r[:2] for r in runs.values()} == {("all", "full load")}


def test_the_incremental_load_recomputed_only_the_months_its_rows_reach(loads):
    demo, _, _, incremental, stay_id = loads
    runs = _runs(demo, incremental)
    assert {r[0] for r in runs.values()} == {"touched"}
    # the exam moved from August to September reaches both months, the deleted one July
    assert runs["exam_turnaround"][2:] == ({JUL, AUG, SEP}, None)
    # no ER visit, surgery or account changed: nothing recomputed, every value carried
    for name in ("door_to_triage", "triage_to_doctor", "er_length_of_stay"):
        assert runs[name][2:] == (set(), None), name
    for name in ("surgery_cancellation", "denial_rate"):
        assert runs[name][2:] == (set(), None), name
    # the billing lag of the moved stay's accounts changed: the months they were billed
    billed = load_rows(
        demo,
        "select distinct cast(date_trunc('month', billed_at) as date) from main.billing "
        "where encounter_id = ? and billed_at is not null",
        [stay_id],
    )
    assert runs["billing_lag"][2:] == ({r[0] for r in billed}, None)
    # the stay now discharged in August spans July and August; the readmission is in August
    for name in ("average_length_of_stay", "bed_turnover", "occupancy_rate", "mortality_rate"):
        months, opened = runs[name][2:]
        assert opened is None and months == {JUL, AUG}, name
    # readmission looks back 30 days (and a day) from each admission: June for the July stay
    assert runs["readmission_30d"][2:] == ({dt.date(2026, 6, 1), JUL, AUG}, None)
    # the moved stay and the new admission (no surgery) reach no month of room use; the last
    # admission of the data (the room's open days end there) did not move
    assert runs["room_occupancy"][2:] == (set(), None)


def test_a_changed_definition_recomputes_every_month_of_that_indicator(loads):
    demo, instance, *_ = loads
    catalog = read_catalog(demo.settings)
    spec = catalog.indicators["exam_turnaround"]
    changed = spec.model_copy(update={"sql": spec.sql + "\n-- the same, written again\n"})
    catalog = dataclasses.replace(
        catalog, indicators={**catalog.indicators, "exam_turnaround": changed}
    )
    again = _load(demo, instance, full=False, catalog=catalog)
    runs = _runs(demo, again)
    assert runs["exam_turnaround"][:2] == ("all", "definition changed")
    for name, run in runs.items():
        if name != "exam_turnaround":  # nothing changed in the ERP since
            assert run[:3] == ("touched", "incremental load", set()), name
    _assert_equal_to_a_full_recompute(demo, again)


def test_broken_indicators_fail_the_load_after_the_others_are_computed(loads):
    """The indicators share one step: two that fail do not stop the other eleven, the step's
    error names both, and nothing is published."""
    demo, instance, *_ = loads
    catalog = read_catalog(demo.settings)
    broken = {
        name: catalog.indicators[name].model_copy(update={"sql": "select * from no_such_table"})
        for name in ("bed_turnover", "mortality_rate")
    }
    catalog = dataclasses.replace(catalog, indicators={**catalog.indicators, **broken})
    before = load_rows(demo, "select count(*) from meta.publication")
    result = dg.materialize(
        client_assets(demo.client, catalog, demo.settings),
        instance=instance,
        tags={FULL_TAG: "false"},
        raise_on_error=False,
    )
    assert not result.success
    made = {
        e.asset_key.path[-1]
        for e in result.get_asset_materialization_events()
        if e.asset_key.path[1] == "indicators"
    }
    assert made == set(demo.client.indicators) - set(broken)
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = str(failure.step_failure_data.error)
    assert "2 indicators failed (bed_turnover, mortality_rate)" in message, message
    assert "no_such_table" in message
    assert load_rows(demo, "select count(*) from meta.publication") == before
