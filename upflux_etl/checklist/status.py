"""Where a hospital stands on the Round 1-3 checklist, from the pipeline and from people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import duckdb

from upflux_etl.catalog.checklist import ItemSpec, Rounds
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.checklist.evidence import Evidence, EvidenceContext, evaluate
from upflux_etl.onboarding.records import ConnectTestRecord
from upflux_etl.state.records import ChecklistEvent, RunRecord
from upflux_etl.state.store import StateStore

ItemState = Literal["done", "pending", "in_progress"]


@dataclass(frozen=True)
class ItemStatus:
    """One item: its state, the evidence in Portuguese and who recorded what."""

    id: str
    round: int
    title: str
    owner: str
    evidence_kinds: tuple[str, ...]
    status: ItemState
    evidence: str
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    note: str | None = None
    details: dict[str, Any] | None = None
    done_on: date | None = None
    history: tuple[ChecklistEvent, ...] = ()


@dataclass(frozen=True)
class ChecklistStatus:
    """The whole checklist of one hospital at one instant."""

    client: str
    at: datetime
    items: tuple[ItemStatus, ...]

    @property
    def done(self) -> int:
        """How many items are done."""
        return sum(item.status == "done" for item in self.items)

    @property
    def total(self) -> int:
        """How many items the checklist has."""
        return len(self.items)

    @property
    def share_done(self) -> float:
        """Done items over all items (0 when the checklist is empty)."""
        return self.done / self.total if self.total else 0.0

    def item(self, item_id: str) -> ItemStatus:
        """The status of one item."""
        return next(i for i in self.items if i.id == item_id)

    def next_pending(self) -> ItemStatus | None:
        """The first item, in checklist order, that is not done."""
        return next((i for i in self.items if i.status != "done"), None)


def checklist_status(
    client: ClientSpec,
    store: StateStore,
    warehouse: duckdb.DuckDBPyConnection | None,
    rounds: Rounds,
    *,
    at: datetime | None = None,
    connect_tests: tuple[ConnectTestRecord, ...] = (),
) -> ChecklistStatus:
    """Every item's status as of `at` (default now), from runs, the warehouse and events.

    Args:
        client: the hospital.
        store: the state store (runs and checklist events).
        warehouse: the hospital's warehouse, or None to judge indicators from the runs.
        rounds: the checklist's rounds and items.
        at: only loads ended and events recorded by this instant count.
        connect_tests: kept `upflux connect-test` results (Round 1 evidence).
    """
    at = at or datetime.now(UTC)
    runs = [r for r in store.runs(client.slug) if r.ended_at <= at]
    events = [e for e in store.checklist_events(client.slug) if e.recorded_at <= at]
    ctx = EvidenceContext(
        client=client, runs=runs, warehouse=warehouse, at=at, connect_tests=connect_tests
    )
    items = tuple(
        _item_status(number, spec, ctx, [e for e in events if e.item == spec.id])
        for number, spec in rounds.items()
    )
    return ChecklistStatus(client=client.slug, at=at, items=items)


def _item_status(
    number: int, spec: ItemSpec, ctx: EvidenceContext, events: list[ChecklistEvent]
) -> ItemStatus:
    auto = evaluate(spec.rule, ctx, spec.params) if spec.automatic and spec.rule else None
    latest = events[-1] if spec.person and events else None
    person = _person_evidence(spec, latest, ctx.runs) if spec.person else None
    parts = [e.text for e in (auto, person) if e is not None]
    if spec.person and len(events) > 1:
        parts.append(_corrections(events[:-1]))
    progresses = [e.progress for e in (auto, person) if e is not None]
    if all(p == "met" for p in progresses):
        status: ItemState = "done"
    elif any(p != "none" for p in progresses):
        status = "in_progress"
    else:
        status = "pending"
    return ItemStatus(
        id=spec.id,
        round=number,
        title=spec.title,
        owner=spec.owner,
        evidence_kinds=tuple(spec.evidence),
        status=status,
        evidence=" ".join(parts),
        recorded_by=latest.recorded_by if latest else None,
        recorded_at=latest.recorded_at if latest else None,
        note=latest.note if latest else None,
        details=dict(latest.details) if latest else None,
        done_on=_done_on(latest, ctx.client) if person and person.progress == "met" else None,
        history=tuple(events),
    )


def _person_evidence(
    spec: ItemSpec, latest: ChecklistEvent | None, runs: list[RunRecord]
) -> Evidence:
    if latest is None:
        return Evidence("none", "Nenhum registro de uma pessoa.")
    who = f"{latest.recorded_by} em {latest.recorded_at:%d/%m/%Y}"
    if latest.status == "scheduled":
        return Evidence("partial", f"Agendado ({who}).")
    if latest.status == "not_done":
        return Evidence("none", f"Registrado como não realizado ({who}).")
    missing = [key for key in spec.requires if not latest.details.get(key)]
    if missing:
        return Evidence("partial", f"Registro de {who} sem {', '.join(missing)}.")
    if "report_sha256" in spec.requires:
        signed = str(latest.details["report_sha256"])
        if not any(r.report_sha256 == signed for r in runs):
            return Evidence(
                "partial",
                f"Aceite de {who} cita um relatório que não foi produzido ({signed[:12]}…).",
            )
        return Evidence("met", f"Aceite do relatório {signed[:12]}… registrado por {who}.")
    when = latest.details.get("date")
    happened = f" Realizado em {_day_text(str(when))}." if when else ""
    return Evidence("met", f"Registrado por {who}.{happened}")


STATUS_TEXT = {"done": "realizado", "not_done": "não realizado", "scheduled": "agendado"}


def _corrections(earlier: list[ChecklistEvent]) -> str:
    """The statements a newer one corrected, kept and shown (append-only history)."""
    texts = []
    for e in earlier:
        when = e.details.get("date")
        on = f" em {_day_text(str(when))}" if when else ""
        texts.append(f"{e.recorded_by} em {e.recorded_at:%d/%m/%Y}: {STATUS_TEXT[e.status]}{on}")
    return "Registros anteriores (corrigidos): " + "; ".join(texts) + "."


def _day_text(text: str) -> str:
    """An ISO day as 05/10/2026; anything else (records from before dates were checked) as is."""
    try:
        return date.fromisoformat(text[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return text


def _done_on(event: ChecklistEvent | None, client: ClientSpec) -> date | None:
    if event is None:
        return None
    stated = event.details.get("date")
    if isinstance(stated, str):
        try:
            return date.fromisoformat(stated[:10])
        except ValueError:
            pass
    return event.recorded_at.astimezone(client.zone).date()
