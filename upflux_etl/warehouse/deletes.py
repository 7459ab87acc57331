"""Rows the source no longer has: found by key, removed from the build, kept as tombstones.

The source's keys arrive in a table of the build's session (typed like the staged rows); every
key the warehouse holds (published, quarantined or held) and the source does not becomes a
tombstone (`meta.tombstones`) and its rows leave `main`, `quarantine` and `held`. The
comparison runs in DuckDB (an anti-join), never in Python sets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.files import has_table, scalar
from upflux_etl.warehouse.holdings import newer_key_rows
from upflux_etl.warehouse.meta.tombstones import key_json, record_tombstones

SCHEMAS = ("main", "quarantine", "held")
MISSING = "_deleted"


@dataclass(frozen=True)
class MissingKeys:
    """The keys the warehouse holds and the source lacks, in a table of the build's session.

    Attributes:
        table: the session's table of those keys (distinct; dropped by `apply_deletes`).
        keys: how many.
        share: share of the published keys among them (0.0 when nothing is published).
    """

    table: str
    keys: int
    share: float


def missing_keys(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, source_keys: str, within: str = "true"
) -> MissingKeys:
    """Every key held (published, quarantined or held) that `source_keys` lacks: one anti-join.

    `source_keys`: a table or view of this session with the source's key columns; `within`: a
    condition on the held key `w` (the keys `source_keys` was read for; all by default).
    """
    keys = spec.primary_key
    cols = ", ".join(f'"{k}"' for k in keys)
    present = [s for s in SCHEMAS if has_table(con, s, spec.name)]
    # `union all`: the result's `distinct` removes the few repeats among the missing keys, not
    # a hash of every key held.
    held_keys = " union all ".join(f'select {cols} from {s}."{spec.name}"' for s in present)
    if not present:
        held_keys = f"select {cols} from {source_keys} where false"
    not_null = " and ".join(f'w."{k}" is not null' for k in keys)
    match = " and ".join(f'w."{k}" = s."{k}"' for k in keys)
    held = ", ".join(f'w."{k}"' for k in keys)
    # An explicit anti join (see `held_key_rows`).
    con.execute(
        f"create or replace temp table {MISSING} as select distinct {held} from ({held_keys}) as w "
        f"anti join {source_keys} as s on {match} where {not_null} and ({within})"
    )
    return _counted(con, spec)


def keep_present(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, missing: MissingKeys, present: str
) -> MissingKeys:
    """`missing` without the keys in `present` (a table of keys the source was found to have)."""
    match = " and ".join(f'd."{k}" = p."{k}"' for k in spec.primary_key)
    con.execute(
        f"delete from {missing.table} as d where exists (select 1 from {present} as p where {match})"
    )
    return _counted(con, spec)


def held_key_rows(spec: DatasetSpec, present: list[str]) -> str:
    """SQL of the held rows' key columns, each record once (as `holdings` counts them).

    The quarantined and held rows, and the published rows no newer version supersedes; ""
    when the build has none of the three tables.
    """
    ds, keys = spec.name, spec.primary_key
    cols = ", ".join(f'"{k}"' for k in keys)
    newer = newer_key_rows(spec, present)
    parts = [newer] if newer else []
    if "main" in present:
        match = " and ".join(f'n."{k}" = m."{k}"' for k in keys)
        # An explicit anti join: a correlated `not exists` over the dataset's view (a union of
        # Parquet parts) is decorrelated by materialising every published key (out of memory
        # at scale 40 under 1GB).
        superseded = f"anti join ({newer}) as n on {match}" if newer else ""
        parts.append(f'select {cols} from main."{ds}" as m {superseded}')
    return " union all ".join(parts)


def _counted(con: duckdb.DuckDBPyConnection, spec: DatasetSpec) -> MissingKeys:
    """The table of missing keys with its count and published share."""
    keys = spec.primary_key
    present = [s for s in SCHEMAS if has_table(con, s, spec.name)]
    found = int(scalar(con, f"select count(*) from {MISSING}"))
    share = 0.0
    if found and "main" in present:
        published = " and ".join(f'm."{k}" = d."{k}"' for k in keys)
        total = parts.count_rows(con, spec.name)
        gone = scalar(
            con,
            f'select count(*) from main."{spec.name}" as m semi join {MISSING} as d on {published}',
        )
        share = gone / total if total else 0.0
    return MissingKeys(MISSING, found, share)


def apply_deletes(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    missing: MissingKeys,
    *,
    load_id: str,
    at: dt.datetime,
) -> int:
    """Tombstone and remove every warehouse row whose key is `missing`; returns how many keys.

    Args:
        con: the load's build.
        spec: the dataset.
        missing: what `missing_keys` found (its table is dropped here).
        load_id: the load that found the deletes.
        at: when.
    """
    keys = spec.primary_key
    if missing.keys:
        record_tombstones(
            con,
            spec.name,
            load_id,
            f"select {key_json(keys, 'd')} as key from {missing.table} as d",
            at,
        )
        gone = " and ".join(f'd."{k}" = t."{k}"' for k in keys)
        found = f"exists (select 1 from {missing.table} as d where {gone})"
        parts.remove(con, spec.name, found)
        for schema in (s for s in SCHEMAS[1:] if has_table(con, s, spec.name)):
            con.execute(f'delete from {schema}."{spec.name}" as t where {found}')
    con.execute(f"drop table if exists {missing.table}")
    return missing.keys
