"""Run indicator SQL on a warehouse: the values of one indicator, checked for shape."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from upflux_etl.catalog.models import IndicatorSpec, TriageSpec
from upflux_etl.indicators.periods import next_month

OUTPUT_COLUMNS = ["period", "dimensions", "measure", "value"]


class IndicatorError(RuntimeError):
    """An indicator's SQL failed or returned the wrong shape."""


def create_macros(con: duckdb.DuckDBPyConnection, macros: tuple[str, ...]) -> None:
    """Create the shared SQL macros (`Catalog.macros`, e.g. the midnight census).

    A macro reading a dataset this client does not load (the census reads `beds`) cannot be
    bound and is skipped: an indicator needing that dataset is refused by validation
    (`depends_on`), so no indicator of the client calls it.
    """
    for sql in macros:
        try:
            con.execute(sql)
        except duckdb.CatalogException:
            continue


def register_parameters(con: duckdb.DuckDBPyConnection, triage: TriageSpec) -> None:
    """The client's parameters indicators read as tables: `triage_targets(colour, target_minutes)`."""
    targets = pa.table(
        {
            "colour": pa.array(list(triage.targets_minutes), pa.string()),
            "target_minutes": pa.array([float(m) for m in triage.targets_minutes.values()]),
        }
    )
    con.register("_triage_targets", targets)
    try:
        con.execute("create or replace temp table triage_targets as select * from _triage_targets")
    finally:
        con.unregister("_triage_targets")


def set_periods(
    con: duckdb.DuckDBPyConnection, first: dt.date | None = None, end: dt.date | None = None
) -> None:
    """Restrict the indicators' SQL to the months from `first` to before `end` (`_periods.sql`).

    Both None (the default): every month. `end` None alone: every month from `first` on.
    """
    if first is None and end is None:
        con.execute("set variable upflux_period_from = null")
        con.execute("set variable upflux_period_to = null")
        return
    con.execute("set variable upflux_period_from = ?", [first or dt.date.min])
    con.execute("set variable upflux_period_to = ?", [end or dt.date.max])


def compute_coverage(
    con: duckdb.DuckDBPyConnection,
    spec: IndicatorSpec,
    months: frozenset[dt.date] | None = None,
) -> pa.Table:
    """Per month, the rows the indicator needs and how many have every field it reads.

    Columns: period (first day of the month, in the session's zone), rows, covered. With
    `months`, only those (an incremental load carries the others): the range of their first
    and last days (a day wider: however a date compares with the column's type and zone) lets
    DuckDB skip the row groups outside it.
    """
    c = spec.coverage
    filled = " and ".join(f'"{col}" is not null' for col in c.columns) or "true"
    month = f"cast(date_trunc('month', \"{c.period_column}\") as date)"
    only, params = "", []
    if months is not None:
        if not months:
            return pa.table(
                {
                    "period": pa.array([], pa.date32()),
                    "rows": pa.array([], pa.int64()),
                    "covered": pa.array([], pa.int64()),
                }
            )
        only = (
            f' and "{c.period_column}" >= ?::date and "{c.period_column}" < ?::date '
            f"and list_contains(?::date[], {month})"
        )
        day = dt.timedelta(days=1)
        params = [min(months) - day, next_month(max(months)) + day, sorted(months)]
    sql = (
        f"select {month} as period, "
        f"count(*) as rows, count(*) filter (where {filled}) as covered "
        f'from main."{c.dataset}" where "{c.period_column}" is not null and ({c.where}){only} '
        "group by 1 order by 1"
    )
    try:
        return con.sql(sql, params=params).to_arrow_table()
    except duckdb.Error as exc:
        raise IndicatorError(f"assets/indicators/{spec.name}.yaml: coverage: {exc}") from None


def compute_indicator(con: duckdb.DuckDBPyConnection, spec: IndicatorSpec) -> pa.Table:
    """Run one indicator's SQL; its values (columns `OUTPUT_COLUMNS`).

    Raises:
        IndicatorError: the SQL fails or returns other columns (the file is named).
    """
    try:
        rel = con.sql(spec.sql)
    except duckdb.Error as exc:
        raise IndicatorError(f"assets/indicators/{spec.name}.sql: {exc}") from None
    if rel.columns != OUTPUT_COLUMNS:
        raise IndicatorError(
            f"assets/indicators/{spec.name}.sql returns {rel.columns}, expected {OUTPUT_COLUMNS}"
        )
    return rel.to_arrow_table()
