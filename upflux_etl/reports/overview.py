"""The CS overview: every hospital's health, trend, next actions and checklist on one page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from upflux_etl.catalog.checklist import Rounds
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.checklist.status import ChecklistStatus, checklist_status
from upflux_etl.health.text import num
from upflux_etl.reports.files import write_atomic
from upflux_etl.reports.labels import BANDS, ITEM_STATES, TRENDS
from upflux_etl.reports.render import render
from upflux_etl.state.records import ActionRecord, HealthRecord
from upflux_etl.state.store import StateStore

HISTORY_DAYS = 30


@dataclass(frozen=True)
class HospitalCard:
    """What the overview shows of one hospital."""

    name: str
    slug: str
    segment: str
    cs_owner: str
    latest: HealthRecord | None
    history: tuple[HealthRecord, ...]
    actions: tuple[ActionRecord, ...]
    checklist: ChecklistStatus | None

    @property
    def band_rank(self) -> int:
        """Red first, then yellow, green, and hospitals without a score last."""
        order = {"red": 0, "yellow": 1, "green": 2}
        return order.get(self.latest.band, 3) if self.latest else 4


def hospital_card(store: StateStore, client: ClientSpec, rounds: Rounds | None) -> HospitalCard:
    """Read one hospital's card from the state store (the checklist without a warehouse)."""
    history = store.health_history(client.slug, days=HISTORY_DAYS)
    return HospitalCard(
        name=client.name,
        slug=client.slug,
        segment=client.segment,
        cs_owner=client.cs_owner,
        latest=history[-1] if history else None,
        history=tuple(history),
        actions=tuple(store.actions(client.slug, status="open")),
        checklist=checklist_status(client, store, None, rounds) if rounds else None,
    )


def render_cs_overview(
    store: StateStore,
    clients: Sequence[ClientSpec],
    out_path: Path,
    *,
    rounds: Rounds | None = None,
    now: datetime | None = None,
) -> Path:
    """Write the CS overview of `clients` to `out_path` (atomically) and return the path.

    Args:
        store: the state store (health history, open actions, checklist events, runs).
        clients: the hospitals to show; the most critical band comes first.
        out_path: the HTML file to write.
        rounds: the checklist, to show each item; None shows the implementation factor only.
        now: the generation instant (default: the clock).
    """
    cards = sorted(
        (hospital_card(store, c, rounds) for c in clients),
        key=lambda card: (card.band_rank, card.latest.score if card.latest else 0, card.name),
    )
    generated = now or datetime.now(UTC)
    html = render(
        "cs_overview.html.j2",
        cards=cards,
        generated=generated.strftime("%d/%m/%Y %H:%M UTC"),
        bands=BANDS,
        trends=TRENDS,
        item_states=ITEM_STATES,
        bars=_bars,
    )
    write_atomic(out_path, html)
    return out_path


def _bars(history: Sequence[HealthRecord]) -> list[dict[str, Any]]:
    """Heights (px, of 40) and titles of the score history, oldest first."""
    return [
        {"height": max(2, round(h.score * 0.4)), "title": f"{h.as_of:%d/%m}: {num(h.score)}"}
        for h in history
    ]
