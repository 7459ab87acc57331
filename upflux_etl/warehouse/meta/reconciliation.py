"""`meta.reconciliation`: per load and dataset, the source's total against the warehouse's."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import duckdb

from upflux_etl.warehouse.files import has_table

RECONCILIATION = "meta.reconciliation"  # named in evidence texts


@dataclass(frozen=True)
class Reconciliation:
    """What one load compared for one dataset.

    Attributes:
        source_count: rows of the dataset's whole query at the source (None: the count failed).
        source_excluded: of them, rows of patients the hospital excluded (never loaded).
        published, quarantine_open, held: rows in `main`, `quarantine` and `held` now.
        superseded: published rows whose key also has a quarantined or held row (a newer
            version of the same record, counted once).
        warehouse_count: published + quarantine_open + held - superseded.
        tombstoned: rows this load removed because the source deleted them.
        tombstones: every tombstone of the dataset so far.
        deletes_scanned: whether this load ran the keys-only comparison.
        matched: source_count - source_excluded == warehouse_count.
        error: why the source could not be counted (scrubbed), else None.
    """

    dataset: str
    source_count: int | None
    source_excluded: int
    published: int
    quarantine_open: int
    held: int
    superseded: int
    warehouse_count: int
    tombstoned: int
    tombstones: int
    deletes_scanned: bool
    error: str | None = None

    @property
    def expected(self) -> int | None:
        """Rows the warehouse should hold: the source's total less the excluded patients'."""
        return None if self.source_count is None else self.source_count - self.source_excluded

    @property
    def matched(self) -> bool:
        """The warehouse holds exactly what the source holds (never true when uncounted)."""
        return self.expected is not None and self.expected == self.warehouse_count

    def ledger_counts(self) -> dict[str, int]:
        """What a run record keeps with the ledger: both totals (no source total if uncounted)."""
        counts = {"warehouse_count": self.warehouse_count, "tombstoned": self.tombstoned}
        if self.expected is not None and self.error is None:
            counts["source_count"] = self.expected
        return counts

    def as_dict(self) -> dict:
        """Plain dict (JSON-able) with `matched`."""
        return {**asdict(self), "matched": self.matched}


_COLUMNS = (
    "dataset, source_count, source_excluded, published, quarantine_open, held, superseded, "
    "warehouse_count, tombstoned, tombstones, deletes_scanned, error"
)


def write_reconciliation(
    con: duckdb.DuckDBPyConnection, load_id: str, figures: Reconciliation, at: dt.datetime
) -> None:
    """Keep (or replace) one dataset's reconciliation on `load_id`."""
    con.execute(
        f"insert or replace into meta.reconciliation (load_id, {_COLUMNS}, matched, checked_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            figures.dataset,
            figures.source_count,
            figures.source_excluded,
            figures.published,
            figures.quarantine_open,
            figures.held,
            figures.superseded,
            figures.warehouse_count,
            figures.tombstoned,
            figures.tombstones,
            figures.deletes_scanned,
            figures.error,
            figures.matched,
            at,
        ],
    )


def read_reconciliation(con: duckdb.DuckDBPyConnection, load_id: str) -> dict[str, Reconciliation]:
    """Dataset -> its reconciliation on `load_id` (empty for warehouses that predate it)."""
    if not has_table(con, "meta", "reconciliation"):
        return {}
    rows = con.execute(
        f"select {_COLUMNS} from meta.reconciliation where load_id = ? order by dataset",
        [load_id],
    ).fetchall()
    return {r[0]: Reconciliation(*r) for r in rows}
