"""`meta.quarantine_resolved`: the records that left the quarantine, and how.

`fixed`: a load re-extracted the key clean (fixed at the source); `released`: a re-check of
the stored source row passed (a late parent record, an added mapping, a declared
correction); `removed`: a full load no longer found the key at the source.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.warehouse.files import has_table

RESOLUTIONS = ("fixed", "released", "removed")


@dataclass(frozen=True)
class ResolvedRecord:
    """One record that left the quarantine on a load.

    Attributes:
        record_key: primary-key column -> value (as text).
        reasons: the checks it failed when last seen.
        resolution: "fixed", "released" or "removed" (see the module).
    """

    dataset: str
    record_key: dict[str, str]
    reasons: tuple[str, ...]
    first_seen_at: dt.datetime | None
    resolution: str
    resolved_at: dt.datetime


def record_resolved(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, *, load_id: str, now: dt.datetime
) -> None:
    """Log the keys of temp table `_prev` that the quarantine no longer holds.

    `_prev` holds the open records the load checked; `staging.<dataset>` (with `_recheck`)
    what the load brought.
    """
    ds = spec.name

    def match(a: str, b: str) -> str:
        return " and ".join(f'{a}."{k}" = {b}."{k}"' for k in spec.primary_key)

    key = ", ".join(f"'{k}', cast(p.\"{k}\" as varchar)" for k in spec.primary_key)
    cols = ", ".join(f's."{k}"' for k in spec.primary_key)
    # The staged rows of the checked records only (a join the few records drive): a full load
    # stages every row, and a correlated `exists` per record hashed them all, twice.
    con.execute(
        "insert into meta.quarantine_resolved with seen as ("
        f'select {cols}, bool_or(coalesce(not s._recheck, false)) as fresh from staging."{ds}" as s '
        f"semi join _prev as p on {match('s', 'p')} group by all) "
        "select ?, ?, json_object("
        f"{key}), p.reasons, p.first_seen_load, p.first_seen_at, case "
        "when s.fresh then 'fixed' when s.fresh is not null then 'released' "
        "else 'removed' end, ? from _prev as p "
        f"left join seen as s on {match('s', 'p')} "
        f'where not exists (select 1 from quarantine."{ds}" as t where {match("t", "p")})',
        [load_id, ds, now],
    )


def read_resolved(con: duckdb.DuckDBPyConnection, load_id: str) -> list[ResolvedRecord]:
    """The records that left the quarantine on `load_id` (none in an older warehouse)."""
    if not has_table(con, "meta", "quarantine_resolved"):
        return []
    rows = con.execute(
        "select dataset, record_key, reasons, first_seen_at, resolution, resolved_at "
        "from meta.quarantine_resolved where load_id = ? order by dataset, record_key",
        [load_id],
    ).fetchall()
    return [
        ResolvedRecord(ds, _key(key), tuple(reasons or ()), first, resolution, at)
        for ds, key, reasons, first, resolution, at in rows
    ]


def _key(text: str) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in json.loads(text).items()}
