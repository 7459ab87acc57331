"""The quarantine as the quality report shows it: new, still open and fixed since the last report.

A report is written after every published load, so "since the previous report" is "on this
load": records first quarantined by it are new, older open ones are still open, and the
records that left the quarantine on it are fixed (`meta.quarantine_resolved`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import duckdb

from upflux_etl.catalog.models import CanonicalModel, ClientSpec
from upflux_etl.reports.labels import local_time
from upflux_etl.warehouse.meta.checks import read_checks
from upflux_etl.warehouse.meta.corrections import read_corrections
from upflux_etl.warehouse.meta.loads import last_published
from upflux_etl.warehouse.meta.quarantine import read_resolved
from upflux_etl.warehouse.quarantine_open import OpenRecord, id_columns, open_records

RESOLUTION_LABELS = {
    "fixed": "corrigido na origem",
    "released": "liberado na reverificação",
    "removed": "não veio mais da origem",
}
STATE_LABELS = {True: "novo", False: "em aberto"}


@dataclass(frozen=True)
class QuarantineRow:
    """One record as a report or the CSV lists it (texts only, in Portuguese)."""

    dataset: str
    id_columns: str
    record_id: str
    checks: tuple[str, ...]
    descriptions: tuple[str, ...]
    first_seen: str
    state: str


@dataclass(frozen=True)
class CorrectionRow:
    """A declared correction as the report lists it."""

    id: str
    dataset: str
    change: str
    rows: str
    reason: str
    requested_by: str
    until: str
    rows_changed: int
    status: str


@dataclass(frozen=True)
class QuarantineSummary:
    """What the report says of the quarantine on one load."""

    new: tuple[QuarantineRow, ...] = ()
    still_open: tuple[QuarantineRow, ...] = ()
    fixed: tuple[QuarantineRow, ...] = ()
    corrections: tuple[CorrectionRow, ...] = field(default_factory=tuple)

    @property
    def open_total(self) -> int:
        """Records in quarantine now."""
        return len(self.new) + len(self.still_open)


def read_quarantine_summary(
    con: duckdb.DuckDBPyConnection,
    client: ClientSpec,
    load_id: str,
    canonical: CanonicalModel | None,
    descriptions: Mapping[tuple[str, str], str],
) -> QuarantineSummary:
    """The open records (new / still open), the fixed ones and the corrections of `load_id`.

    `descriptions`: (dataset, check) -> the check's Portuguese description.
    """
    rows = [open_row(r, load_id, descriptions, client.zone) for r in open_records(con, canonical)]
    fixed = tuple(
        QuarantineRow(
            dataset=r.dataset,
            id_columns=" + ".join(_ids(r.dataset, list(r.record_key), canonical)),
            record_id=" + ".join(
                r.record_key[c] for c in _ids(r.dataset, list(r.record_key), canonical)
            ),
            checks=r.reasons,
            descriptions=tuple(descriptions.get((r.dataset, c), c) for c in r.reasons),
            first_seen=local_time(r.first_seen_at, client.zone),
            state=RESOLUTION_LABELS.get(r.resolution, r.resolution),
        )
        for r in read_resolved(con, load_id)
    )
    return QuarantineSummary(
        new=tuple(r for r in rows if r.state == STATE_LABELS[True]),
        still_open=tuple(r for r in rows if r.state == STATE_LABELS[False]),
        fixed=fixed,
        corrections=_corrections(con, client, load_id),
    )


def open_row(
    record: OpenRecord,
    load_id: str,
    descriptions: Mapping[tuple[str, str], str],
    zone: ZoneInfo,
) -> QuarantineRow:
    """One open record as listed (new when `load_id` first quarantined it)."""
    return QuarantineRow(
        dataset=record.dataset,
        id_columns=" + ".join(c for c, _ in record.record_id),
        record_id=" + ".join(v for _, v in record.record_id),
        checks=record.reasons,
        descriptions=tuple(descriptions.get((record.dataset, c), c) for c in record.reasons),
        first_seen=local_time(record.first_seen_at, zone),
        state=STATE_LABELS[record.is_new(load_id)],
    )


def _ids(dataset: str, present: list[str], canonical: CanonicalModel | None) -> list[str]:
    return id_columns(dataset, present, canonical) or present


def _corrections(
    con: duckdb.DuckDBPyConnection, client: ClientSpec, load_id: str
) -> tuple[CorrectionRow, ...]:
    done = {(a.dataset, a.correction): a for a in read_corrections(con, load_id)}
    out = []
    for rule in client.corrections:
        applied = done.get((rule.dataset, rule.id))
        out.append(
            CorrectionRow(
                id=rule.id,
                dataset=rule.dataset,
                change=", ".join(f"{c} = {v}" for c, v in rule.set_.items()),
                rows=rule.where
                or f"{len(rule.keys or [])} chave(s): " + ", ".join(rule.keys or []),
                reason=rule.reason,
                requested_by=rule.requested_by,
                until=rule.until.strftime("%d/%m/%Y"),
                rows_changed=applied.rows_changed if applied else 0,
                status="expirada"
                if applied and applied.status == "expired"
                else ("aplicada" if applied else "não aplicada nesta carga"),
            )
        )
    return tuple(out)


def open_rows(
    con: duckdb.DuckDBPyConnection, client: ClientSpec, canonical: CanonicalModel | None
) -> list[QuarantineRow]:
    """Every record open now, as the CSV lists it, "new" meaning first seen by the last load."""
    header = last_published(con)
    load_id = header.load_id if header else ""
    descriptions = {(c.dataset, c.name): c.description or c.name for c in read_checks(con, load_id)}
    return [open_row(r, load_id, descriptions, client.zone) for r in open_records(con, canonical)]
