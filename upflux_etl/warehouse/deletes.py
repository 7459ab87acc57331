"""Rows the source no longer has: found by key, removed from the build, kept as tombstones.

The source's keys arrive in a table of the build's session (typed like the staged rows); every
key the warehouse holds (published, quarantined or held) and the source does not becomes a
tombstone (`meta.tombstones`) and its rows leave `main`, `quarantine` and `held`. The
comparison runs in DuckDB (an anti-join), never in Python sets.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.warehouse.files import has_table
from upflux_etl.warehouse.meta.tombstones import key_json, record_tombstones

SCHEMAS = ("main", "quarantine", "held")


def apply_deletes(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    source_keys: str,
    *,
    load_id: str,
    at: dt.datetime,
) -> int:
    """Tombstone and remove every warehouse row whose key `source_keys` lacks; returns how many keys.

    Args:
        con: the load's build.
        spec: the dataset.
        source_keys: a table or view (in this session) with the source's key columns.
        load_id: the load that found the deletes.
        at: when.
    """
    keys = spec.primary_key
    cols = ", ".join(f'"{k}"' for k in keys)
    present = [s for s in SCHEMAS if has_table(con, s, spec.name)]
    if not present:
        return 0
    held_keys = " union ".join(f'select {cols} from {s}."{spec.name}"' for s in present)
    not_null = " and ".join(f'w."{k}" is not null' for k in keys)
    match = " and ".join(f'w."{k}" = s."{k}"' for k in keys)
    con.execute(
        f"create or replace temp table _deleted as select distinct {cols} from ({held_keys}) as w "
        f"where {not_null} and not exists (select 1 from {source_keys} as s where {match})"
    )
    found = record_tombstones(
        con, spec.name, load_id, f"select {key_json(keys, 'd')} as key from _deleted as d", at
    )
    gone = " and ".join(f'd."{k}" = t."{k}"' for k in keys)
    for schema in present:
        con.execute(
            f'delete from {schema}."{spec.name}" as t '
            f"where exists (select 1 from _deleted as d where {gone})"
        )
    con.execute("drop table _deleted")
    return found


def deleted_share(con: duckdb.DuckDBPyConnection, spec: DatasetSpec, source_keys: str) -> float:
    """Share of the published keys that `source_keys` lacks (0.0 when nothing is published)."""
    if not has_table(con, "main", spec.name):
        return 0.0
    match = " and ".join(f'm."{k}" = s."{k}"' for k in spec.primary_key)
    row = con.execute(
        f"select count(*), count(*) filter (where not exists "
        f"(select 1 from {source_keys} as s where {match})) "
        f'from main."{spec.name}" as m'
    ).fetchall()[0]
    return row[1] / row[0] if row[0] else 0.0
