"""Reading a load's bookkeeping back from the warehouse's `meta` tables (one place)."""

from __future__ import annotations

import duckdb

LEDGER_COUNTS = ("extracted", "published", "quarantined", "held")
CHECK_FIELDS = (
    "dataset",
    "name",
    "level",
    "blocking",
    "passed",
    "failing_count",
    "element_count",
    "error",
    "description",
    "fix_hint",
)


def read_ledger(con: duckdb.DuckDBPyConnection, load_id: str) -> dict[str, dict]:
    """Dataset -> {extracted, published, quarantined, held, duration_s} of one load."""
    rows = con.execute(
        "select dataset, extracted, published, quarantined, held, duration_s from meta.ledger "
        "where load_id = ? order by dataset",
        [load_id],
    ).fetchall()
    return {r[0]: dict(zip((*LEDGER_COUNTS, "duration_s"), r[1:], strict=True)) for r in rows}


def read_checks(con: duckdb.DuckDBPyConnection, load_id: str) -> list[dict]:
    """Every check result of one load, as dicts keyed by CHECK_FIELDS."""
    rows = con.execute(
        "select dataset, check_name, level, blocking, passed, failing_count, element_count, "
        "error, description, fix_hint from meta.check_results where load_id = ? "
        "order by dataset, check_name",
        [load_id],
    ).fetchall()
    return [dict(zip(CHECK_FIELDS, r, strict=True)) for r in rows]
