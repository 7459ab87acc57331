"""`meta.tombstones` and `meta.delete_scans`: rows the source deleted, and when we looked.

A tombstone is one deleted row's primary key (a JSON object, column -> text), the load that
found it and when: what a later export reads to delete the row on the platform too.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from upflux_etl.warehouse.files import first_row, scalar

TOMBSTONES = "meta.tombstones"


def key_json(columns: list[str], alias: str) -> str:
    """SQL for the JSON text of a row's key (`{"col": "value", ...}`, values as text)."""
    parts = ", ".join(f'"{c}" := cast({alias}."{c}" as varchar)' for c in columns)
    return f"cast(to_json(struct_pack({parts})) as varchar)"


def record_tombstones(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    load_id: str,
    keys_select: str,
    at: dt.datetime,
) -> int:
    """Add a tombstone per row of `keys_select` (a query returning one `key` JSON column)."""
    before = tombstone_count(con, dataset)
    con.execute(
        f"insert into meta.tombstones select ?, k.key, ?, ? from ({keys_select}) as k",
        [dataset, load_id, at],
    )
    return tombstone_count(con, dataset) - before


def tombstone_count(con: duckdb.DuckDBPyConnection, dataset: str) -> int:
    """Every tombstone of `dataset` so far."""
    return int(scalar(con, "select count(*) from meta.tombstones where dataset = ?", [dataset]))


def read_tombstones(con: duckdb.DuckDBPyConnection, dataset: str) -> list[tuple[str, str]]:
    """(key JSON, load_id) of every tombstone of `dataset`, oldest first."""
    rows = con.execute(
        "select key, load_id from meta.tombstones where dataset = ? order by detected_at, key",
        [dataset],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def record_delete_scan(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    load_id: str,
    at: dt.datetime,
    *,
    source_keys: int,
    tombstoned: int,
    compared: str = "keys",
) -> None:
    """Remember that `load_id` compared the dataset's keys with the source's.

    `compared`: "keys" (every key) or "buckets" (counts per bucket, then the keys of the
    buckets that differ).
    """
    con.execute(
        "insert into meta.delete_scans values (?, ?, ?, ?, ?, ?)",
        [dataset, load_id, at, source_keys, tombstoned, compared],
    )


def last_delete_scan(
    con: duckdb.DuckDBPyConnection, dataset: str, compared: str | None = None
) -> dt.datetime | None:
    """When the dataset's keys were last compared with the source's (None: never).

    With `compared` ("keys" or "buckets"), the last comparison of that kind.
    """
    row = first_row(
        con,
        "select max(scanned_at) from meta.delete_scans "
        "where dataset = ? and (? is null or compared = ?)",
        [dataset, compared, compared],
    )
    return row[0] if row else None
