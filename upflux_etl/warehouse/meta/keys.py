"""`meta.key_fingerprints`: which pseudonymisation key the warehouse's pseudonyms were made with.

A fingerprint, never the key (`extract.pii.key_fingerprint`): one row per key the warehouse
has used, the latest being the current one. A rotation (a full reload with a new key) adds a
row; the rows before it say when each key was in use.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from upflux_etl.warehouse.files import connect, first_row, has_table

# Here rather than in schema.META_DDL: only this module reads or writes the table.
_DDL = """
create table if not exists meta.key_fingerprints (
    fingerprint varchar, key_env varchar, load_id varchar, recorded_at timestamptz)
"""


def read_key_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of the key the warehouse's pseudonyms are made with (None: none yet)."""
    if not has_table(con, "meta", "key_fingerprints"):
        return None
    row = first_row(
        con, "select fingerprint from meta.key_fingerprints order by recorded_at desc limit 1"
    )
    return row[0] if row else None


def record_key_fingerprint(
    con: duckdb.DuckDBPyConnection, fingerprint: str, *, key_env: str, load_id: str, at: dt.datetime
) -> None:
    """Make `fingerprint` the warehouse's current key, first used by `load_id`."""
    con.execute(_DDL)
    con.execute(
        "insert into meta.key_fingerprints values (?, ?, ?, ?)",
        [fingerprint, key_env, load_id, at],
    )


def published_key_fingerprint(published: Path) -> str | None:
    """The current key fingerprint of a published warehouse file (None: no file, or none yet)."""
    if not published.exists():
        return None
    con = connect(published, "UTC", read_only=True)
    try:
        return read_key_fingerprint(con)
    finally:
        con.close()
