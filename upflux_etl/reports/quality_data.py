"""What the quality report shows, read from one load of a hospital's warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from upflux_etl.catalog.checks import generated_expectations
from upflux_etl.catalog.models import CanonicalModel
from upflux_etl.quality.outcome import CheckResult
from upflux_etl.reports.labels import check_texts
from upflux_etl.warehouse.files import first_row, table_columns
from upflux_etl.warehouse.meta.checks import read_checks
from upflux_etl.warehouse.meta.ledger import LEDGER_COUNTS, read_ledger
from upflux_etl.warehouse.quarantine_open import id_columns


@dataclass(frozen=True)
class FailingRecords:
    """The records a check quarantined, by the ERP's own ids (capped; `total` is all)."""

    id_columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int
    unmapped_codes: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class CheckRow:
    """One check of one dataset on the load, with the texts the report shows for it.

    Attributes:
        check: the stored result.
        description: what the check means (a default Portuguese text for generated checks).
        fix_hint: what to fix in the ERP (likewise).
        records: the records it quarantined (failing row-level checks only).
    """

    check: CheckResult
    description: str
    fix_hint: str
    records: FailingRecords | None = None


@dataclass(frozen=True)
class DatasetSection:
    """One dataset: its ledger and its checks (failing first)."""

    name: str
    extracted: int
    published: int
    quarantined: int
    held: int
    checks: tuple[CheckRow, ...] = field(default_factory=tuple)

    @property
    def balanced(self) -> bool:
        """Extracted = published + quarantined + held."""
        return self.extracted == self.published + self.quarantined + self.held


def read_sections(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    canonical: CanonicalModel | None,
    cap: int,
) -> list[DatasetSection]:
    """Every dataset of the load.

    Ledger, checks (failing, then blocking, first) and failing records.
    """
    ledger = read_ledger(con, load_id)
    checks = sorted(
        read_checks(con, load_id), key=lambda c: (c.dataset, c.passed, not c.blocking, c.name)
    )
    names = list(ledger) + sorted({c.dataset for c in checks} - set(ledger))
    sections = []
    for name in names:
        counts = dict.fromkeys(LEDGER_COUNTS, 0)
        if name in ledger:
            counts = {k: int(ledger[name][k] or 0) for k in LEDGER_COUNTS}
        rows = tuple(
            _check_row(con, load_id, c, canonical, cap) for c in checks if c.dataset == name
        )
        sections.append(
            DatasetSection(
                name,
                extracted=counts["extracted"],
                published=counts["published"],
                quarantined=counts["quarantined"],
                held=counts["held"],
                checks=rows,
            )
        )
    return sections


def _check_row(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    check: CheckResult,
    canonical: CanonicalModel | None,
    cap: int,
) -> CheckRow:
    description, fix_hint = check_texts(
        check.name,
        check.description,
        check.fix_hint,
        _declared(canonical, check.dataset, check.name),
    )
    records = None
    if not check.passed and check.level == "row":
        records = failing_records(con, load_id, check.dataset, check.name, canonical, cap)
    return CheckRow(check, description, fix_hint, records)


def failing_records(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    dataset: str,
    check: str,
    canonical: CanonicalModel | None,
    cap: int,
) -> FailingRecords | None:
    """The records open in quarantine for `check`, by ERP id; None without a table.

    Every open record, whatever load quarantined it: a record stays listed until a load
    brings it clean (`warehouse/quarantine.py`). `load_id` is kept for callers.
    """
    present = table_columns(con, "quarantine", dataset)
    ids = id_columns(dataset, present, canonical)
    if not present or not ids:
        return None
    where = "where list_contains(_reasons, ?)"
    table = f'quarantine."{dataset}"'
    selected = ", ".join(f'cast("{c}" as varchar)' for c in ids)
    order = ", ".join(f'"{c}"' for c in ids)
    rows = con.execute(
        f"select {selected} from {table} {where} order by {order} limit ?", [check, cap]
    ).fetchall()
    total = first_row(con, f"select count(*) from {table} {where}", [check])
    codes: list[tuple[str, int]] = []
    code_column = f"{check.removesuffix('_mapped')}_code"
    if check.endswith("_mapped") and code_column in present:
        codes = con.execute(
            f'select cast("{code_column}" as varchar), count(*) from {table} {where} '
            "group by 1 order by 2 desc, 1 limit ?",
            [check, cap],
        ).fetchall()
    return FailingRecords(
        id_columns=tuple(ids),
        rows=tuple(tuple("" if v is None else str(v) for v in r) for r in rows),
        total=int(total[0]) if total else 0,
        unmapped_codes=tuple((str(c), int(n)) for c, n in codes),
    )


def _declared(canonical: CanonicalModel | None, dataset: str, name: str) -> tuple[str, str] | None:
    """The texts of a generated check as the catalog declares them."""
    spec = canonical.datasets.get(dataset) if canonical else None
    if spec is None:
        return None
    labels = {n: d.label for n, d in canonical.datasets.items()} if canonical else {}
    found = next((e for e in generated_expectations(spec, labels) if e.name == name), None)
    return (found.description, found.fix_hint) if found else None
