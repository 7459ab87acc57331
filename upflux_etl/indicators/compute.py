"""Run indicator SQL on a warehouse: the values of one indicator, checked for shape."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from upflux_etl.catalog.models import IndicatorSpec

OUTPUT_COLUMNS = ["period", "dimensions", "measure", "value"]


class IndicatorError(RuntimeError):
    """An indicator's SQL failed or returned the wrong shape."""


def create_macros(con: duckdb.DuckDBPyConnection, macros: tuple[str, ...]) -> None:
    """Create the shared SQL macros (`Catalog.macros`, e.g. the midnight census)."""
    for sql in macros:
        con.execute(sql)


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
