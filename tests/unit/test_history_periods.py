"""The periods of a historical load and each dataset's window in one (pipeline/history.py)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from typer.testing import CliRunner

from tests.support.demo import write_demo_client
from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.cli.main import app
from upflux_etl.extract.sql import window_query
from upflux_etl.history import HistoryPlan
from upflux_etl.pipeline.history import (
    Extraction,
    HistoryWindow,
    counted,
    extraction,
    plan_periods,
    watermark_after,
)
from upflux_etl.warehouse.meta.history import PublishedPeriod, published_periods
from upflux_etl.warehouse.schema import SCHEMA_VERSION, ensure_schema, schema_version


def dataset(event: str | None, kind: str = "timestamp") -> DatasetSpec:
    return DatasetSpec.model_validate(
        {
            "name": "d",
            "description": "a dataset",
            "primary_key": ["id"],
            "incremental_column": "updated_at",
            "event_column": event,
            "columns": {"id": {"type": "string"}, "updated_at": {"type": kind}},
        }
    )


def test_monthly_periods_follow_the_calendar_and_say_which_one_runs():
    periods = plan_periods(dt.date(2024, 1, 1), "month", dt.date(2026, 1, 1))
    assert len(periods) == 24
    assert periods[2].label == "período 3/24: 2024-03-01 a 2024-04-01"
    assert periods[0].first and not periods[0].last and periods[-1].last
    assert [(p.start, p.end) for p in periods[-1:]] == [("2025-12-01", "2026-01-01")]


def test_quarters_and_years_start_on_the_day_asked_and_end_on_until():
    quarters = plan_periods(dt.date(2024, 2, 15), "quarter", dt.date(2024, 11, 20))
    assert [(p.start, p.end) for p in quarters] == [
        ("2024-02-15", "2024-04-01"),
        ("2024-04-01", "2024-07-01"),
        ("2024-07-01", "2024-10-01"),
        ("2024-10-01", "2024-11-20"),
    ]
    years = plan_periods(dt.date(2023, 6, 1), "year", dt.date(2025, 3, 1))
    assert [(p.start, p.end) for p in years] == [
        ("2023-06-01", "2024-01-01"),
        ("2024-01-01", "2025-01-01"),
        ("2025-01-01", "2025-03-01"),
    ]


def test_a_bad_period_or_an_empty_history_is_refused():
    with pytest.raises(ValueError, match="month, quarter, year"):
        plan_periods(dt.date(2024, 1, 1), "week", dt.date(2025, 1, 1))
    with pytest.raises(ValueError, match="must be before"):
        plan_periods(dt.date(2025, 1, 1), "month", dt.date(2025, 1, 1))


def test_a_window_travels_as_a_run_tag():
    window = plan_periods(dt.date(2024, 1, 1), "month", dt.date(2024, 4, 1))[1]
    assert HistoryWindow.from_tag(window.to_tag()) == window


def test_each_dataset_reads_its_window():
    first, second = plan_periods(dt.date(2024, 1, 1), "month", dt.date(2024, 3, 1))
    events, dates, master = dataset("updated_at"), dataset("updated_at", "date"), dataset(None)
    # A cut dataset: [since, end) on the full first period, then from its watermark.
    assert extraction(events, first, None, full=True) == Extraction(
        "2024-01-01 00:00:00", "2024-02-01 00:00:00"
    )
    assert extraction(events, second, "2024-02-01 00:00:00", full=False) == Extraction(
        "2024-02-01 00:00:00", "2024-03-01 00:00:00"
    )
    # held in period 1 (no watermark): period 2 reads from the history's first day again
    assert extraction(events, second, None, full=False).after == "2024-01-01 00:00:00"
    assert extraction(dates, second, "2024-02-01", full=False) == Extraction(
        "2024-02-01", "2024-03-01"
    )
    assert watermark_after(dates, second) == "2024-03-01"
    assert counted(events, second) == Extraction("2024-01-01 00:00:00", "2024-03-01 00:00:00")
    # Master data: whole in the first period, nothing afterwards, counted whole.
    assert extraction(master, first, None, full=True) == Extraction()
    assert extraction(master, second, "2024-01-31 10:00:00", full=False) == Extraction(empty=True)
    assert watermark_after(master, second) is None and counted(master, second) == Extraction()


def test_the_window_is_written_for_the_source():
    sql = "select id, updated_at from t"
    pg = window_query(sql, "postgres", "updated_at", "postgres", after="2024-01-01 00:00:00")
    assert "updated_at >= CAST('2024-01-01 00:00:00' AS TIMESTAMP)" in pg and "<" not in pg
    lite = window_query(
        sql, "postgres", "updated_at", "sqlite", after="2024-01-01", before="2024-02-01"
    )
    assert "updated_at >= '2024-01-01'" in lite and "updated_at < '2024-02-01'" in lite
    assert "1 = 0" in window_query(sql, "postgres", "updated_at", "postgres", empty=True)


def published(windows: list[HistoryWindow]) -> list[PublishedPeriod]:
    return [PublishedPeriod(w.number, w.total, w.start, w.end, f"load{w.number}") for w in windows]


def test_a_history_resumes_at_its_first_unpublished_period_and_ends_once():
    since = dt.date(2024, 1, 1)
    periods = plan_periods(since, "month", dt.date(2024, 4, 1))
    failed = HistoryPlan(since, "month", periods, published(periods[:1]))
    assert [w.number for w in failed.pending] == [2, 3] and not failed.finished
    # Done: the same command (today as the end) and an earlier --until load nothing.
    done = published(periods)
    later = plan_periods(since, "month", dt.date(2024, 5, 20))
    assert HistoryPlan(since, "month", later, done).finished
    assert HistoryPlan(since, "month", periods, done, dt.date(2024, 4, 1)).pending == []
    # A later --until extends it: the new periods only.
    extended = HistoryPlan(since, "month", later, done, dt.date(2024, 5, 20))
    assert [(w.number, w.start, w.end) for w in extended.pending] == [
        (4, "2024-04-01", "2024-05-01"),
        (5, "2024-05-01", "2024-05-20"),
    ]


def test_a_version_4_warehouse_gains_meta_history(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        ensure_schema(con)
        con.execute("drop table meta.history")
        con.execute("delete from meta.schema_version")
        con.execute("insert into meta.schema_version values (4, current_timestamp)")
        assert published_periods(con, "2024-01-01", "month") == []  # read before migrating
        ensure_schema(con)
        assert schema_version(con) == SCHEMA_VERSION
        assert published_periods(con, "2024-01-01", "month") == []
    finally:
        con.close()


def test_the_command_checks_its_history_options(settings, pseudonym_key):
    write_demo_client(settings.clients_dir)
    runner = CliRunner()
    cases = [
        (["run", "demo", "--since", "2024-01-01"], "go with --history"),
        (["run", "demo", "--history", "--full"], "not with --full"),
        (["run", "demo", "--history", "--period", "week"], "--period: 'week'"),
        (["run", "demo", "--history", "--since", "ontem"], "--since"),
        (["run", "demo", "--history"], "history.since"),
        (
            ["run", "demo", "--history", "--since", "2024-05-01", "--until", "2024-01-01"],
            "must be before",
        ),
    ]
    for argv, message in cases:
        result = runner.invoke(app, argv)
        assert result.exit_code == 2, (argv, result.output)
        assert message in " ".join(result.output.split()), (argv, result.output)
