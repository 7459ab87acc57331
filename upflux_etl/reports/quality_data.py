"""What the quality report shows, read from one load of a hospital's warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from upflux_etl.catalog.checks import generated_expectations
from upflux_etl.catalog.models import CanonicalModel
from upflux_etl.reports.labels import check_texts
from upflux_etl.warehouse.files import first_row

# Never shown, whatever a table holds: pseudonyms and document hashes identify a person.
NEVER_SHOWN = frozenset({"patient_key", "cpf", "cns", "user_key"})


@dataclass(frozen=True)
class FailingRecords:
    """The records a check quarantined, by the ERP's own ids (capped; `total` is all)."""

    id_columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int
    unmapped_codes: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class CheckRow:
    """One check of one dataset on the load."""

    name: str
    level: str
    blocking: bool
    passed: bool
    failing_count: int
    element_count: int
    description: str
    fix_hint: str
    records: FailingRecords | None = None

    @property
    def share(self) -> float:
        """Failing over checked elements (0 when nothing was checked)."""
        return self.failing_count / self.element_count if self.element_count else 0.0


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
        """extracted = published + quarantined + held."""
        return self.extracted == self.published + self.quarantined + self.held


@dataclass(frozen=True)
class LoadHeader:
    load_id: str
    mode: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None


def read_header(con: duckdb.DuckDBPyConnection, load_id: str) -> LoadHeader:
    """The load's row of `meta.loads` (ValueError when the load is unknown)."""
    row = first_row(
        con,
        "select load_id, mode, status, started_at, finished_at from meta.loads where load_id = ?",
        [load_id],
    )
    if row is None:
        raise ValueError(f"load {load_id!r} is not in meta.loads of this warehouse")
    return LoadHeader(*row)


def read_sections(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    canonical: CanonicalModel | None,
    cap: int,
) -> list[DatasetSection]:
    """Every dataset of the load: ledger, checks and failing records."""
    ledger = con.execute(
        "select dataset, extracted, published, quarantined, held from meta.ledger "
        "where load_id = ? order by dataset",
        [load_id],
    ).fetchall()
    checks = con.execute(
        "select dataset, check_name, level, blocking, passed, failing_count, element_count, "
        "description, fix_hint from meta.check_results where load_id = ? "
        "order by dataset, passed, blocking desc, check_name",
        [load_id],
    ).fetchall()
    names = [r[0] for r in ledger] + sorted({c[0] for c in checks} - {r[0] for r in ledger})
    counts = {r[0]: [int(v or 0) for v in r[1:]] for r in ledger}
    sections = []
    for name in names:
        rows = tuple(
            _check_row(con, load_id, name, c, canonical, cap) for c in checks if c[0] == name
        )
        sections.append(DatasetSection(name, *counts.get(name, [0, 0, 0, 0]), checks=rows))
    return sections


def _check_row(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    dataset: str,
    row: tuple[Any, ...],
    canonical: CanonicalModel | None,
    cap: int,
) -> CheckRow:
    _, name, level, blocking, passed, failing, elements, description, fix_hint = row
    text, hint = check_texts(name, description, fix_hint, _declared(canonical, dataset, name))
    records = None
    if not passed and level == "row":
        records = failing_records(con, load_id, dataset, name, canonical, cap)
    return CheckRow(
        name=name,
        level=level,
        blocking=bool(blocking),
        passed=bool(passed),
        failing_count=int(failing or 0),
        element_count=int(elements or 0),
        description=text,
        fix_hint=hint,
        records=records,
    )


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


def id_columns(dataset: str, present: list[str], canonical: CanonicalModel | None) -> list[str]:
    """The ERP's own record ids: the primary key without pseudonymised columns.

    Without the canonical model, the `*_id` columns (the canonical naming of ERP ids).
    """
    spec = canonical.datasets.get(dataset) if canonical else None
    if spec is not None:
        wanted = [c for c in spec.primary_key if spec.columns[c].pii is None]
    else:
        wanted = [c for c in present if c.endswith("_id") and not c.startswith("_")]
    return [c for c in wanted if c in present and c not in NEVER_SHOWN]


def failing_records(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    dataset: str,
    check: str,
    canonical: CanonicalModel | None,
    cap: int,
) -> FailingRecords | None:
    """The quarantined records of `check` on the load, by ERP id; None without a table."""
    present = _columns(con, "quarantine", dataset)
    ids = id_columns(dataset, present, canonical)
    if not present or not ids:
        return None
    where = "where _load_id = ? and list_contains(_reasons, ?)"
    table = f'quarantine."{dataset}"'
    selected = ", ".join(f'cast("{c}" as varchar)' for c in ids)
    order = ", ".join(f'"{c}"' for c in ids)
    rows = con.execute(
        f"select {selected} from {table} {where} order by {order} limit ?", [load_id, check, cap]
    ).fetchall()
    total = first_row(con, f"select count(*) from {table} {where}", [load_id, check])
    codes: list[tuple[str, int]] = []
    code_column = f"{check.removesuffix('_mapped')}_code"
    if check.endswith("_mapped") and code_column in present:
        codes = con.execute(
            f'select cast("{code_column}" as varchar), count(*) from {table} {where} '
            "group by 1 order by 2 desc, 1 limit ?",
            [load_id, check, cap],
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
