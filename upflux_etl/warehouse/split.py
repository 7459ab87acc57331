"""Split a staged load into published, quarantined and held rows, and keep the ledger.

Per dataset and load: extracted = published + quarantined + held, always; a load whose
counts do not add up is refused before anything is published.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb
import pyarrow as pa

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.warehouse.files import scalar


@dataclass(frozen=True)
class Ledger:
    """Where every extracted row of one dataset and load went."""

    dataset: str
    extracted: int
    published: int
    quarantined: int
    held: int
    duration_s: float = 0.0

    @property
    def balanced(self) -> bool:
        """Extracted = published + quarantined + held."""
        return self.extracted == self.published + self.quarantined + self.held

    def as_dict(self) -> dict:
        """The ledger as a plain dict (for metadata and reports)."""
        return asdict(self)


class LedgerError(RuntimeError):
    """Rows would be lost: the counts of a load do not add up."""


def published_columns(con: duckdb.DuckDBPyConnection, dataset: str) -> list[str]:
    """Staged columns kept in the warehouse (internal `_` flags and the row id dropped)."""
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = 'staging' "
        "and table_name = ? order by ordinal_position",
        [dataset],
    ).fetchall()
    return [r[0] for r in rows if not r[0].startswith("_")]


def split_load(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    *,
    load_id: str,
    full: bool,
    quarantine: dict[int, tuple[str, ...]],
    hold: bool,
) -> Ledger:
    """Apply a validated load to the build's `main`, `quarantine` and `held` tables."""
    ds = spec.name
    cols = ", ".join(f's."{c}"' for c in published_columns(con, ds))
    _register_quarantine(con, quarantine)
    extracted = scalar(con, f'select count(*) from staging."{ds}"')
    clean = f'from staging."{ds}" as s where s._row_id not in (select _row_id from _q)'
    _ensure_like(con, "main", ds, cols, extra="cast(null as varchar) as _load_id")
    _ensure_like(con, "quarantine", ds, cols, extra=_QUARANTINE_EXTRA)
    keys = _key_match(spec, "t")
    if full:
        con.execute(f'delete from quarantine."{ds}"')
    else:
        con.execute(
            f'delete from quarantine."{ds}" as t where exists (select 1 from staging."{ds}" as s where {keys})'
        )
    con.execute(
        f'insert into quarantine."{ds}" select {cols}, ? as _load_id, q.reasons as _reasons, now() as _quarantined_at '
        f'from staging."{ds}" as s join _q as q using (_row_id)',
        [load_id],
    )
    con.execute(
        f'create or replace table held."{ds}" as select {cols}, ? as _load_id {clean} and false',
        [load_id],
    )
    if hold:
        con.execute(f'insert into held."{ds}" select {cols}, ? as _load_id {clean}', [load_id])
    else:
        if full:
            con.execute(f'delete from main."{ds}"')
        else:
            con.execute(
                f'delete from main."{ds}" as t where exists (select 1 from staging."{ds}" as s where {keys})'
            )
        con.execute(f'insert into main."{ds}" select {cols}, ? as _load_id {clean}', [load_id])
    ledger = _count(con, ds, load_id, extracted)
    con.unregister("_q")
    if not ledger.balanced:
        raise LedgerError(f"dataset {ds}, load {load_id}: counts do not add up: {ledger}")
    return ledger


_QUARANTINE_EXTRA = "cast(null as varchar) as _load_id, cast(null as varchar[]) as _reasons, now() as _quarantined_at"


def _count(con: duckdb.DuckDBPyConnection, ds: str, load_id: str, extracted: int) -> Ledger:
    def n(schema: str) -> int:
        return scalar(con, f'select count(*) from {schema}."{ds}" where _load_id = ?', [load_id])

    return Ledger(ds, extracted, n("main"), n("quarantine"), n("held"))


def _register_quarantine(
    con: duckdb.DuckDBPyConnection, quarantine: dict[int, tuple[str, ...]]
) -> None:
    table = pa.table(
        {
            "_row_id": pa.array(list(quarantine), pa.int64()),
            "reasons": pa.array([list(v) for v in quarantine.values()], pa.list_(pa.string())),
        }
    )
    con.register("_q", table)


def _ensure_like(
    con: duckdb.DuckDBPyConnection, schema: str, ds: str, cols: str, extra: str
) -> None:
    con.execute(
        f'create table if not exists {schema}."{ds}" as select {cols}, {extra} from staging."{ds}" as s where false'
    )


def _key_match(spec: DatasetSpec, target: str) -> str:
    return " and ".join(f's."{k}" = {target}."{k}"' for k in spec.primary_key)
