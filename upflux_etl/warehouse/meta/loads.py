"""`meta.loads` and `meta.publication`: when a load started, how it ended, what was published."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from upflux_etl.warehouse.files import first_row


@dataclass(frozen=True)
class LoadHeader:
    """One load's row of `meta.loads`."""

    load_id: str
    mode: str
    status: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


_HEADER = "select load_id, mode, status, started_at, finished_at from meta.loads"


def record_load_start(
    con: duckdb.DuckDBPyConnection, load_id: str, *, client: str, mode: str, at: dt.datetime
) -> None:
    """Mark `load_id` as building on top of the publication the file holds now."""
    con.execute(
        "insert or replace into meta.loads values (?, ?, ?, ?, null, 'building', ?)",
        [load_id, client, mode, at, current_version(con)],
    )


def base_version(con: duckdb.DuckDBPyConnection, load_id: str) -> str | None:
    """The publication `load_id` was built on (None: built on an empty warehouse)."""
    row = first_row(con, "select base_version from meta.loads where load_id = ?", [load_id])
    return row[0] if row else None


def record_publication(
    con: duckdb.DuckDBPyConnection, load_id: str, version: str, at: dt.datetime
) -> None:
    """Mark `load_id` published at `at` as publication `version`."""
    con.execute(
        "update meta.loads set status = 'published', finished_at = ? where load_id = ?",
        [at, load_id],
    )
    con.execute("insert into meta.publication values (?, ?, ?)", [version, at, load_id])


def current_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The version id of the publication this file holds (None for a fresh file)."""
    row = first_row(con, "select version from meta.publication order by published_at desc limit 1")
    return row[0] if row else None


def read_header(con: duckdb.DuckDBPyConnection, load_id: str) -> LoadHeader:
    """The load's row of `meta.loads`.

    Raises:
        ValueError: the load is not in this warehouse.
    """
    row = first_row(con, f"{_HEADER} where load_id = ?", [load_id])
    if row is None:
        raise ValueError(f"load {load_id!r} is not in meta.loads of this warehouse")
    return LoadHeader(*row)


def last_published(con: duckdb.DuckDBPyConnection) -> LoadHeader | None:
    """The most recently published load (None before the first publication)."""
    row = first_row(con, f"{_HEADER} where status = 'published' order by finished_at desc limit 1")
    return LoadHeader(*row) if row else None
