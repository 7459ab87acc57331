"""`meta.watermarks`: per dataset, the latest change an incremental load has seen."""

from __future__ import annotations

import duckdb

from upflux_etl.warehouse.files import first_row


def read_watermark(con: duckdb.DuckDBPyConnection, dataset: str) -> str | None:
    """Where the dataset's next incremental load starts (None: from the beginning)."""
    row = first_row(con, "select value from meta.watermarks where dataset = ?", [dataset])
    return row[0] if row else None


def write_watermark(con: duckdb.DuckDBPyConnection, dataset: str, column: str, value: str) -> None:
    """Move the dataset's watermark to `value` of `column`."""
    con.execute("insert or replace into meta.watermarks values (?, ?, ?)", [dataset, column, value])
