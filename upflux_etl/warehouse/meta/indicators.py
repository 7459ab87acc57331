"""`meta.indicator_values`: the values each indicator's SQL computed on a load.

And `meta.indicator_runs`: which months each load recomputed, under which definition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from upflux_etl.warehouse.files import has_table, scalar

INDICATOR_VALUES = "meta.indicator_values"  # named in evidence texts


def write_indicator_values(
    con: duckdb.DuckDBPyConnection, load_id: str, indicator: str, unit: str, values: pa.Table
) -> int:
    """Replace one indicator's values of `load_id` (null values are not kept).

    Args:
        con: the load's build.
        load_id: the load.
        indicator: the indicator's name.
        unit: its unit, stored with every value.
        values: columns period, dimensions, measure, value.

    Returns:
        How many values were kept.
    """
    con.execute(
        "delete from meta.indicator_values where load_id = ? and indicator = ?",
        [load_id, indicator],
    )
    con.register("_values", values)
    try:
        con.execute(
            "insert into meta.indicator_values select ?, ?, period, dimensions, measure, value, ? "
            "from _values where value is not null",
            [load_id, indicator, unit],
        )
    finally:
        con.unregister("_values")
    return scalar(
        con,
        "select count(*) from meta.indicator_values where load_id = ? and indicator = ?",
        [load_id, indicator],
    )


@dataclass(frozen=True)
class IndicatorRun:
    """How one load computed one indicator (`meta.indicator_runs`).

    `recomputed` is "all" (every month; `reason` says why) or "touched" (`months`, and every
    month from `from_month` on when set; the other months' values carried from the load before).
    """

    load_id: str
    indicator: str
    definition: str
    recomputed: str
    reason: str
    months: tuple[dt.date, ...] = ()
    from_month: dt.date | None = None


def write_indicator_run(con: duckdb.DuckDBPyConnection, run: IndicatorRun) -> None:
    """Replace one indicator's record of `run.load_id`."""
    con.execute(
        "delete from meta.indicator_runs where load_id = ? and indicator = ?",
        [run.load_id, run.indicator],
    )
    con.execute(
        "insert into meta.indicator_runs values (?, ?, ?, ?, ?, ?, ?)",
        [
            run.load_id,
            run.indicator,
            run.definition,
            run.recomputed,
            run.reason,
            list(run.months),
            run.from_month,
        ],
    )


def read_indicator_run(
    con: duckdb.DuckDBPyConnection, load_id: str, indicator: str
) -> IndicatorRun | None:
    """One indicator's record of `load_id` (None: not computed then, or an older warehouse)."""
    if not has_table(con, "meta", "indicator_runs"):
        return None
    rows = con.execute(
        "select load_id, indicator, definition, recomputed, reason, months, from_month "
        "from meta.indicator_runs where load_id = ? and indicator = ?",
        [load_id, indicator],
    ).fetchall()
    if not rows:
        return None
    load, name, definition, recomputed, reason, months, from_month = rows[0]
    return IndicatorRun(load, name, definition, recomputed, reason, tuple(months or ()), from_month)


def carry_indicator_values(
    con: duckdb.DuckDBPyConnection, run: IndicatorRun, previous: str, unit: str
) -> int:
    """Copy `previous`'s values of the months `run` did not recompute into `run.load_id`.

    Returns how many values were carried.
    """
    before = scalar(con, "select count(*) from meta.indicator_values")
    con.execute(
        "insert into meta.indicator_values "
        "select ?, indicator, period, dimensions, measure, value, ? from meta.indicator_values "
        "where load_id = ? and indicator = ? and (period is null or not ("
        "list_contains(?::date[], period) or coalesce(period >= ?::date, false)))",
        [run.load_id, unit, previous, run.indicator, list(run.months), run.from_month],
    )
    return int(scalar(con, "select count(*) from meta.indicator_values")) - int(before)


def write_indicator_coverage(
    con: duckdb.DuckDBPyConnection, load_id: str, indicator: str, coverage: pa.Table
) -> None:
    """Replace one indicator's coverage of `load_id` (columns period, rows, covered)."""
    con.execute(
        "delete from meta.indicator_coverage where load_id = ? and indicator = ?",
        [load_id, indicator],
    )
    con.register("_coverage", coverage)
    try:
        con.execute(
            "insert into meta.indicator_coverage select ?, ?, period, rows, covered from _coverage",
            [load_id, indicator],
        )
    finally:
        con.unregister("_coverage")


def carry_indicator_coverage(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    previous: str,
    indicator: str,
    months: frozenset[dt.date],
) -> None:
    """Copy `previous`'s coverage of the months outside `months` into `load_id`."""
    con.execute(
        "insert into meta.indicator_coverage select ?, indicator, period, rows, covered "
        "from meta.indicator_coverage where load_id = ? and indicator = ? "
        "and not list_contains(?::date[], period)",
        [load_id, previous, indicator, sorted(months)],
    )


def read_indicator_coverage(con: duckdb.DuckDBPyConnection, load_id: str) -> list[dict]:
    """The coverage of every indicator of a load, per month, oldest first.

    Older warehouses (before coverage was kept) give an empty list.
    """
    if not has_table(con, "meta", "indicator_coverage"):
        return []
    rows = con.execute(
        "select indicator, strftime(period, '%Y-%m-%d'), rows, covered "
        "from meta.indicator_coverage where load_id = ? order by 1, 2",
        [load_id],
    ).fetchall()
    return [
        {"indicator": i, "period": p, "rows": r, "covered": c, "coverage": c / r if r else None}
        for i, p, r, c in rows
    ]


def read_indicator_values(con: duckdb.DuckDBPyConnection, load_id: str) -> list[dict]:
    """The indicator values of a load, as plain dicts (period as ISO date text)."""
    rows = con.execute(
        "select indicator, strftime(period, '%Y-%m-%d'), dimensions, measure, value, unit "
        "from meta.indicator_values where load_id = ? order by 1, 2, 3, 4",
        [load_id],
    ).fetchall()
    keys = ["indicator", "period", "dimensions", "measure", "value", "unit"]
    return [dict(zip(keys, r, strict=False)) for r in rows]


def indicator_counts(con: duckdb.DuckDBPyConnection, load_id: str) -> dict[str, int]:
    """Indicator -> how many values `load_id` computed."""
    rows = con.execute(
        "select indicator, count(*) from meta.indicator_values where load_id = ? group by 1",
        [load_id],
    ).fetchall()
    return dict(rows)


def indicator_counts_until(
    con: duckdb.DuckDBPyConnection, at: dt.datetime
) -> dict[str, int] | None:
    """Indicator -> non-null values computed by loads finished by `at`.

    None when the warehouse keeps no indicator values.
    """
    if not (has_table(con, "meta", "indicator_values") and has_table(con, "meta", "loads")):
        return None
    rows = con.execute(
        """
        select v.indicator, count(*)
        from meta.indicator_values as v
        join meta.loads as l on l.load_id = v.load_id
        where v.value is not null and l.finished_at <= ?
        group by v.indicator
        """,
        [at],
    ).fetchall()
    return {name: int(n) for name, n in rows}
