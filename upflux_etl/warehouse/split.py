"""Split a staged load into published, quarantined and held rows, and keep the ledger.

Per dataset and load: extracted = published + quarantined + held, always; a load whose
counts do not add up is refused before anything is published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import duckdb
import pyarrow as pa

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.files import scalar, sql_literal, table_columns
from upflux_etl.warehouse.quarantine import (
    RECHECK,
    ensure_quarantine,
    key_match,
    update_quarantine,
)


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
    return [c for c in table_columns(con, "staging", dataset) if not c.startswith("_")]


def split_load(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    *,
    load_id: str,
    full: bool,
    quarantine: dict[int, tuple[str, ...]],
    hold: bool,
    timezone: str = "UTC",
    now: dt.datetime | None = None,
) -> Ledger:
    """Apply a validated load to the build's `main`, `quarantine` and `held` tables.

    Rows re-checked from the quarantine (`staging._recheck`) are not part of the ledger:
    those that pass now are published (released), the others stay open
    (`warehouse/quarantine.py`).
    """
    ds = spec.name
    now = now or dt.datetime.now(dt.UTC)
    _flag_rechecks(con, ds)
    cols = ", ".join(f's."{c}"' for c in published_columns(con, ds))
    _register_quarantine(con, quarantine)
    extracted = scalar(con, f'select count(*) from staging."{ds}" where not {RECHECK}')
    released = 0
    if not hold:
        released = scalar(
            con,
            f'select count(*) from staging."{ds}" as s where s.{RECHECK} '
            "and s._row_id not in (select _row_id from _q)",
        )
    clean = f'from staging."{ds}" as s where s._row_id not in (select _row_id from _q)'
    shaped = f'select {cols}, cast(null as varchar) as _load_id from staging."{ds}" as s'
    parts.ensure_dataset(con, ds, shaped)
    ensure_quarantine(con, spec, published_columns(con, ds), timezone)
    update_quarantine(con, spec, cols, load_id=load_id, full=full, hold=hold, now=now)
    keys = key_match(spec, "t")
    con.execute(
        f'create or replace table held."{ds}" as select {cols}, ? as _load_id {clean} and false',
        [load_id],
    )
    written = 0
    if hold:
        con.execute(f'insert into held."{ds}" select {cols}, ? as _load_id {clean}', [load_id])
    else:
        if full:
            parts.remove_all(con, ds)
        else:
            parts.remove(con, ds, f'exists (select 1 from staging."{ds}" as s where {keys})')
        load = sql_literal(load_id)
        written = parts.append(
            con, ds, f"select {cols}, {load} as _load_id {clean}", load_id=load_id
        )
        parts.compact(con, ds, load_id=load_id)
    ledger = _count(con, ds, load_id, extracted, released, written)
    con.unregister("_q")
    if not ledger.balanced:
        raise LedgerError(f"dataset {ds}, load {load_id}: counts do not add up: {ledger}")
    return ledger


def _flag_rechecks(con: duckdb.DuckDBPyConnection, ds: str) -> None:
    # A staging table built without re-checks (tests, older callers): every row is the batch's.
    present = scalar(
        con,
        "select count(*) from information_schema.columns where table_schema = 'staging' "
        "and table_name = ? and column_name = ?",
        [ds, RECHECK],
    )
    if not present:
        con.execute(f'alter table staging."{ds}" add column {RECHECK} boolean default false')


def _count(
    con: duckdb.DuckDBPyConnection,
    ds: str,
    load_id: str,
    extracted: int,
    released: int,
    published: int,
) -> Ledger:
    def n(schema: str) -> int:
        return scalar(con, f'select count(*) from {schema}."{ds}" where _load_id = ?', [load_id])

    # Released rows are published under this load's id but were extracted by an earlier one.
    return Ledger(ds, extracted, published - released, n("quarantine"), n("held"))


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
