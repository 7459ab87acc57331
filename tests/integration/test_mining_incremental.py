"""The nightly mining rewrites only the cases a load changed, and equals a whole rebuild.

After a full load of the smallest demo and its first night (the kept log built whole), the
ERP changes as in `test_incremental_indicators` (an exam moved across months, a stay's
discharge, a readmission added, an exam deleted at the source), plus an exam moved to another
encounter and an encounter cancelled. The incremental load's night reads only the cases of
those rows, and its summary equals the one of a log built whole from the same warehouse,
which equals the summary of the sorted Parquet file (`test_mining_sql` holds that one equal to
`upflux mine`'s numpy summary). A night that finds the log behind by more than one
publication builds it whole; one that fails leaves it as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.integration.test_demo_pipeline import load_rows
from tests.integration.test_incremental_indicators import (
    DEMO,
    TOUCHED_AT,
    _change_rows_across_months,
    _erp,
    _load,
)
from tests.integration.test_mining_sql import _assert_same
from tests.support.databases import module_settings
from tests.support.demo import DemoClient, make_demo
from upflux_etl.catalog.eventlog import read_event_log_sql
from upflux_etl.catalog.reader import read_catalog
from upflux_etl.mining import log_state
from upflux_etl.mining.bpmn import read_bpmn
from upflux_etl.mining.log_state import open_log_state, refresh_log, state_tables
from upflux_etl.mining.sql_summary import sql_summary, summary_payload
from upflux_etl.mining.warehouse_log import copy_event_log
from upflux_etl.pipeline.mining import mining_dir, process_mining_step, read_mining
from upflux_etl.pipeline.reporting import published
from upflux_etl.settings import Settings
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.files import WarehouseFiles

# What differs between two nights' summaries of the same log: not the log's content.
NIGHT_KEYS = ("load_id", "log", "aligned_now", "reference_model")


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    with module_settings(tmp_path_factory.mktemp("incmine")) as (settings, _):
        yield settings


def _move_an_exam_and_cancel_an_encounter(demo: DemoClient) -> tuple[str, str, str]:
    """(the moved exam's encounter before, after; the cancelled encounter)."""
    order_id, before = load_rows(
        demo,
        "select order_id, encounter_id from main.exams where resulted_at is not null "
        "order by order_id desc limit 1",
    )[0]
    after, cancelled = (
        r[0]
        for r in load_rows(
            demo,
            "select encounter_id from main.encounters where status = 'active' "
            "and encounter_id <> ? order by encounter_id limit 2",
            [before],
        )
    )
    erp = _erp(demo)
    with erp:
        erp.execute(
            "update pedido_exame set cd_atendimento = ?, dt_atualizacao = ? where nr_pedido = ?",
            [int(after), TOUCHED_AT, int(order_id)],
        )
        erp.execute(
            "update atendimento set ie_situacao = 'C', dt_atualizacao = ? where cd_atendimento = ?",
            [TOUCHED_AT, int(cancelled)],
        )
    erp.close()
    return str(before), str(after), str(cancelled)


@pytest.fixture(scope="module")
def nights(settings):
    demo = make_demo(settings, "incind", **DEMO)
    instance = dg.DagsterInstance.ephemeral()
    full = _load(demo, instance, full=True)  # each run's night is its process_mining asset
    _change_rows_across_months(demo)
    moved = _move_an_exam_and_cancel_an_encounter(demo)
    incremental = _load(demo, instance, full=False)
    first, second = (read_mining(settings, demo.client, run) for run in (full, incremental))
    assert first is not None and second is not None
    return demo, first, second, moved


def _keys(settings: Settings) -> dict[str, list[str]]:
    catalog = read_catalog(settings)
    return {name: spec.primary_key for name, spec in catalog.canonical.datasets.items()}


def _whole(demo: DemoClient, tmp: Path) -> dict:
    """The summary of a log built whole from the published warehouse, in `tmp`."""
    settings, files = demo.settings, WarehouseFiles(demo.settings.client_dir("incind"))
    sql = read_event_log_sql(settings.root)
    with open_log_state(tmp / "log.duckdb", demo.client.timezone, "300MB", tmp / "spill") as con:
        refresh = refresh_log(con, sql, _keys(settings), files.published, files.previous)
        assert refresh.mode == "rebuilt" and refresh.reason == "first night"
        tables = state_tables(con)
    return summary_payload(tables, _model(demo), {}, top=10, map_edges=60)


def _model(demo: DemoClient):
    return read_bpmn(
        demo.settings.root / "assets" / "reference_models" / f"{demo.client.reference_model}.bpmn"
    )


def _of_the_log(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in NIGHT_KEYS}


def test_the_first_night_builds_the_log_and_the_next_reads_only_the_changed_cases(nights):
    _, first, second, _ = nights
    assert "error" not in first and "error" not in second, second.get("error")
    assert first["log"]["mode"] == "rebuilt" and first["log"]["reason"] == "first night"
    assert second["log"]["mode"] == "updated" and second["log"]["reason"] == ""
    # the cases of the changed rows (both ends of the moved exam among them), not every case
    assert 6 <= second["log"]["cases"] < first["cases"] / 20


def test_the_updated_log_equals_one_built_whole_and_the_sorted_file(nights, tmp_path):
    demo, first, second, (before, after, cancelled) = nights
    whole = _whole(demo, tmp_path)
    _assert_same(_of_the_log(second), _of_the_log(whole))
    assert second["cases"] == first["cases"]  # the readmission added one, the cancelling took one
    # The sorted Parquet file's summary (the path held equal to the numpy one).
    parquet = tmp_path / "event_log.parquet"
    with duckdb.connect(str(demo.warehouse), read_only=True) as con:
        con.execute("set TimeZone = ?", [demo.client.timezone])
        copy_event_log(con, read_event_log_sql(demo.settings.root), parquet)
    with duckdb.connect() as con:
        con.execute("set memory_limit = '300MB'")
        con.execute("set temp_directory = ?", [str(tmp_path / "spill2")])
        from_file = sql_summary(con, parquet, _model(demo), {}, top=10, map_edges=60)
    _assert_same(_of_the_log(second), _of_the_log(from_file))
    # The moved exam's events left one case for the other; the cancelled encounter is gone.
    log = mining_dir(demo.settings, demo.client) / "log.duckdb"
    with duckdb.connect(str(log), read_only=True) as con:
        events = dict(
            con.execute(
                "select case_id, count(*) from events where case_id in (?, ?, ?) group by all",
                [before, after, cancelled],
            ).fetchall()
        )
    assert cancelled not in events and events[after] >= 3


def test_a_night_on_the_same_publication_changes_nothing(nights):
    demo, _, second, _ = nights
    cache = mining_dir(demo.settings, demo.client) / "alignments.parquet"
    written = cache.stat()
    again = process_mining_step(demo.settings, demo.client, read_catalog(demo.settings), "again")
    assert again["log"] == {"mode": "unchanged", "reason": "", "cases": 0}
    assert _of_the_log(again) == _of_the_log(second)
    assert again["aligned_now"] == 0  # no new variant: the alignments' file is not rewritten
    assert (cache.stat().st_ino, cache.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def _kept(demo: DemoClient) -> tuple:
    log = mining_dir(demo.settings, demo.client) / "log.duckdb"
    with duckdb.connect(str(log), read_only=True) as con:
        return (
            con.execute("select version from log_state").fetchall(),
            con.execute("select count(*), sum(pos) from events").fetchall(),
            con.execute("select count(*), sum(events) from cases").fetchall(),
            con.execute("select count(*), sum(k) from gaps").fetchall(),
        )


def _set_version(demo: DemoClient, version: str) -> None:
    log = mining_dir(demo.settings, demo.client) / "log.duckdb"
    with duckdb.connect(str(log)) as con:
        con.execute("update log_state set version = ?", [version])


def test_a_failed_night_leaves_the_log_as_it_was(nights, monkeypatch):
    demo, *_ = nights
    _set_version(demo, "a publication mined before")
    kept = _kept(demo)

    def fail(*_args) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(log_state, "_record", fail)
    summary = process_mining_step(demo.settings, demo.client, read_catalog(demo.settings), "x")
    assert "killed" in summary["error"]
    assert _kept(demo) == kept


def test_a_log_behind_by_more_than_one_publication_is_built_whole(nights):
    demo, _, second, _ = nights
    _set_version(demo, "a publication mined before")
    night = process_mining_step(demo.settings, demo.client, read_catalog(demo.settings), "late")
    assert night["log"]["mode"] == "rebuilt"
    assert "another publication" in night["log"]["reason"]
    assert _of_the_log(night) == _of_the_log(second)


def test_after_the_folder_moved_the_next_load_compares_nothing_with_the_old_views(nights, tmp_path):
    """A published catalog whose views name a folder that is gone (the hospital's folder moved
    here from `old`) is read from here by readers, and not compared row by row by the next
    load: it recomputes every month and builds the log whole, and both equal what a comparison
    would have given."""
    demo, _, second, _ = nights
    files = WarehouseFiles(demo.settings.client_dir("incind"))
    with duckdb.connect(str(files.published), read_only=True) as con:
        datasets = parts.stored_datasets(con)
        counts = {d: con.execute(f'select count(*) from main."{d}"').fetchall() for d in datasets}
    old = tmp_path / "incind"
    shutil.copytree(files.root / parts.TABLES, old / parts.TABLES)
    shutil.copy(files.published, old / files.published.name)
    with duckdb.connect(str(old / files.published.name)) as con:
        parts.ensure_parts(con, old)  # the views as the old folder had them
    shutil.copy(old / files.published.name, files.published)
    shutil.rmtree(old)
    with duckdb.connect(str(files.published), read_only=True) as con:  # as the catalog says
        with pytest.raises(duckdb.IOException):
            con.execute("select count(*) from main.exams").fetchall()
    # A reader (status, reports, health) reads the parts where they are now, until the load.
    with published(demo.settings, demo.client) as con:
        assert con is not None
        assert {
            d: con.execute(f'select count(*) from main."{d}"').fetchall() for d in datasets
        } == counts
        assert parts.live_counts(con, "exams", ["count(*)"]) == [counts["exams"][0][0]]
    run = _load(demo, dg.DagsterInstance.ephemeral(), full=False)

    night = read_mining(demo.settings, demo.client, run)
    assert night is not None and night["log"]["mode"] == "rebuilt"
    assert night["log"]["reason"] == f"the hospital's folder moved (the previous views name {old})"
    assert _of_the_log(night) == _of_the_log(second)  # nothing changed at the source
    with duckdb.connect(str(files.published), read_only=True) as con:
        runs = con.execute(
            "select distinct recomputed, reason from meta.indicator_runs where load_id = ?", [run]
        ).fetchall()
    assert runs == [("all", f"the hospital's folder moved (the published views name {old})")]
