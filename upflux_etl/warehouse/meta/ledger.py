"""`meta.ledger`: where every extracted row of one dataset and load went."""

from __future__ import annotations

import duckdb

from upflux_etl.warehouse.split import Ledger

LEDGER_COUNTS = ("extracted", "published", "quarantined", "held")


def write_ledger(con: duckdb.DuckDBPyConnection, load_id: str, ledger: Ledger) -> None:
    """Keep (or replace) one dataset's ledger of `load_id`."""
    con.execute(
        "insert or replace into meta.ledger values (?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            ledger.dataset,
            ledger.extracted,
            ledger.published,
            ledger.quarantined,
            ledger.held,
            ledger.duration_s,
        ],
    )


def read_ledger(con: duckdb.DuckDBPyConnection, load_id: str) -> dict[str, dict]:
    """Dataset -> {extracted, published, quarantined, held, duration_s} of one load."""
    rows = con.execute(
        "select dataset, extracted, published, quarantined, held, duration_s from meta.ledger "
        "where load_id = ? order by dataset",
        [load_id],
    ).fetchall()
    return {r[0]: dict(zip((*LEDGER_COUNTS, "duration_s"), r[1:], strict=True)) for r in rows}
