"""Run indicator SQL on a warehouse and keep the values of the load."""

from __future__ import annotations

import duckdb

from upflux_etl.catalog.models import IndicatorSpec
from upflux_etl.warehouse.files import scalar

OUTPUT_COLUMNS = ["period", "dimensions", "measure", "value"]


class IndicatorError(RuntimeError):
    """An indicator's SQL failed or returned the wrong shape."""


def create_macros(con: duckdb.DuckDBPyConnection, macros: tuple[str, ...]) -> None:
    """Create the shared SQL macros (`Catalog.macros`, e.g. the midnight census)."""
    for sql in macros:
        con.execute(sql)


def compute_indicator(con: duckdb.DuckDBPyConnection, spec: IndicatorSpec, load_id: str) -> int:
    """Compute one indicator into `meta.indicator_values` for `load_id`; returns the row count."""
    try:
        rel = con.sql(spec.sql)
    except duckdb.Error as exc:
        raise IndicatorError(f"assets/indicators/{spec.name}.sql: {exc}") from None
    if rel.columns != OUTPUT_COLUMNS:
        raise IndicatorError(
            f"assets/indicators/{spec.name}.sql returns {rel.columns}, expected {OUTPUT_COLUMNS}"
        )
    con.execute(
        "delete from meta.indicator_values where load_id = ? and indicator = ?",
        [load_id, spec.name],
    )
    con.register("_values", rel.to_arrow_table())
    try:
        con.execute(
            "insert into meta.indicator_values select ?, ?, period, dimensions, measure, value, ? "
            "from _values where value is not null",
            [load_id, spec.name, spec.unit],
        )
    finally:
        con.unregister("_values")
    return scalar(
        con,
        "select count(*) from meta.indicator_values where load_id = ? and indicator = ?",
        [load_id, spec.name],
    )


def latest_values(con: duckdb.DuckDBPyConnection, load_id: str) -> list[dict]:
    """The indicator values of a load, as plain dicts (period as ISO date text)."""
    rows = con.execute(
        "select indicator, strftime(period, '%Y-%m-%d'), dimensions, measure, value, unit "
        "from meta.indicator_values where load_id = ? order by 1, 2, 3, 4",
        [load_id],
    ).fetchall()
    keys = ["indicator", "period", "dimensions", "measure", "value", "unit"]
    return [dict(zip(keys, r, strict=False)) for r in rows]
