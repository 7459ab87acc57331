"""`meta.history`: the periods of a historical load published so far (`upflux run --history`).

Written into the run's build by the publication step, so a period is recorded exactly when
its load is published: a history that failed in period k resumes at period k.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from upflux_etl.warehouse.files import has_table


@dataclass(frozen=True)
class PublishedPeriod:
    """One published period of a history."""

    number: int
    total: int
    start: str
    end: str
    load_id: str


def record_period(
    con: duckdb.DuckDBPyConnection,
    *,
    since: str,
    period: str,
    number: int,
    total: int,
    start: str,
    end: str,
    load_id: str,
    at: dt.datetime,
) -> None:
    """Record that `load_id` published period `number` of the history (since, period)."""
    con.execute(
        "insert into meta.history values (?, ?, ?, ?, ?, ?, ?, ?)",
        [since, period, number, total, start, end, load_id, at],
    )


def published_periods(
    con: duckdb.DuckDBPyConnection, since: str, period: str
) -> list[PublishedPeriod]:
    """The published periods of the history (since, period), in order (none on older files)."""
    if not has_table(con, "meta", "history"):
        return []
    rows = con.execute(
        "select number, total, strftime(period_start, '%Y-%m-%d'), "
        "strftime(period_end, '%Y-%m-%d'), load_id from meta.history "
        "where since = ?::date and period = ? order by number, published_at",
        [since, period],
    ).fetchall()
    return [PublishedPeriod(*row) for row in rows]
