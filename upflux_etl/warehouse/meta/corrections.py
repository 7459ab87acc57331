"""`meta.corrections_applied`: per load, dataset and declared correction, the rows it changed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from upflux_etl.warehouse.files import has_table, insert_rows


@dataclass(frozen=True)
class AppliedCorrection:
    """One declared correction on one load: "applied" (rows changed) or "expired"."""

    dataset: str
    correction: str
    rows_changed: int
    status: str


def write_corrections(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    dataset: str,
    applied: Iterable[AppliedCorrection],
) -> None:
    """Replace what the corrections of `dataset` did on `load_id`."""
    con.execute(
        "delete from meta.corrections_applied where load_id = ? and dataset = ?",
        [load_id, dataset],
    )
    rows = [[load_id, a.dataset, a.correction, a.rows_changed, a.status] for a in applied]
    insert_rows(con, "meta.corrections_applied", rows)


def read_corrections(con: duckdb.DuckDBPyConnection, load_id: str) -> list[AppliedCorrection]:
    """What every declared correction did on `load_id` (none in an older warehouse)."""
    if not has_table(con, "meta", "corrections_applied"):
        return []
    rows = con.execute(
        "select dataset, correction, rows_changed, status from meta.corrections_applied "
        "where load_id = ? order by dataset, correction",
        [load_id],
    ).fetchall()
    return [AppliedCorrection(d, c, int(n), s) for d, c, n, s in rows]
