"""The CS radar: every hospital on one sortable, filterable page (self-contained HTML)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from upflux_etl.catalog.checklist import Rounds
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.checklist.status import ChecklistStatus, checklist_status
from upflux_etl.health.text import num
from upflux_etl.health.trend import trend_text
from upflux_etl.health.view import open_actions
from upflux_etl.reports.files import write_atomic
from upflux_etl.reports.labels import BANDS, ITEM_STATES, LOAD_STATUS
from upflux_etl.reports.render import render
from upflux_etl.state.records import ActionRecord, HealthRecord, RunRecord
from upflux_etl.state.store import StateStore

HISTORY_DAYS = 60
SEGMENTS = {"small": "Small", "professional": "Professional", "enterprise": "Enterprise"}


@dataclass(frozen=True)
class Light:
    """One module's light: green, yellow, red or grey (no data), with why."""

    label: str
    colour: str
    title: str


@dataclass(frozen=True)
class HospitalCard:
    """What the radar shows of one hospital."""

    name: str
    slug: str
    segment: str
    cs_owner: str
    latest: HealthRecord | None
    history: tuple[HealthRecord, ...]
    actions: tuple[ActionRecord, ...]
    checklist: ChecklistStatus | None
    last_run: RunRecord | None
    zone: ZoneInfo

    @property
    def band_rank(self) -> int:
        """Red first, then yellow, green, and hospitals without a score last."""
        order = {"red": 0, "yellow": 1, "green": 2}
        return order.get(self.latest.band, 3) if self.latest else 4

    @property
    def trend(self) -> str:
        """The trend in the words of `upflux health` and the UI."""
        if self.latest is None:
            return "—"
        return trend_text(self.latest.trend, self.latest.previous_score)


def hospital_card(
    store: StateStore, client: ClientSpec, rounds: Rounds | None, today: date
) -> HospitalCard:
    """Read one hospital's card from the state store (the checklist without a warehouse)."""
    history = store.health_history(client.slug, days=HISTORY_DAYS)
    return HospitalCard(
        name=client.name,
        slug=client.slug,
        segment=client.segment,
        cs_owner=client.cs_owner,
        latest=history[-1] if history else None,
        history=tuple(history),
        actions=tuple(open_actions(store.actions(client.slug), today)),
        checklist=checklist_status(client, store, None, rounds) if rounds else None,
        last_run=store.last_run(client.slug),
        zone=client.zone,
    )


def render_cs_radar(
    store: StateStore,
    clients: Sequence[ClientSpec],
    out_path: Path,
    *,
    rounds: Rounds | None = None,
    modules: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Path:
    """Write the CS radar of `clients` to `out_path` (atomically) and return the path.

    Args:
        store: the state store (health history, actions, checklist events, runs).
        clients: the hospitals to show; the most critical band comes first.
        out_path: the HTML file to write.
        rounds: the checklist, for each hospital's progress.
        modules: platform module -> label (`catalog.health.platform_use.modules`).
        now: the generation instant (default: the clock).
    """
    generated = now or datetime.now(UTC)
    cards = sorted(
        (hospital_card(store, c, rounds, generated.astimezone(c.zone).date()) for c in clients),
        key=lambda card: (card.band_rank, card.latest.score if card.latest else 0, card.name),
    )
    html = render(
        "cs_radar.html.j2",
        cards=cards,
        generated=generated.strftime("%d/%m/%Y %H:%M UTC"),
        bands=BANDS,
        segments=SEGMENTS,
        item_states=ITEM_STATES,
        owners=sorted({c.cs_owner or "—" for c in cards}),
        sparkline=sparkline,
        usage_lights=lambda card: usage_lights(card.latest, modules or {}),
        flow_lights=lambda card: flow_lights(card.latest),
        last_load=last_load,
    )
    write_atomic(out_path, html)
    return out_path


def sparkline(history: Sequence[HealthRecord], width: int = 120, height: int = 28) -> str:
    """The points of an SVG polyline of the scores (0-100), oldest left."""
    if not history:
        return ""
    step = width / max(1, len(history) - 1)
    return " ".join(
        f"{i * step:.1f},{height - h.score / 100 * height:.1f}" for i, h in enumerate(history)
    )


def usage_lights(latest: HealthRecord | None, modules: dict[str, str]) -> list[Light]:
    """Platform use per module, from the last score's platform-use factor."""
    facts = (latest.factors.get("platform_use") or {}).get("facts") if latest else None
    if not facts:
        return [Light(label, "grey", f"{label}: sem dados de uso") for label in modules.values()]
    used = set(facts.get("used", []))
    return [
        Light(
            label,
            "green" if m in used else "red",
            f"{label}: {'em uso' if m in used else 'sem uso'}",
        )
        for m, label in modules.items()
    ]


def flow_lights(latest: HealthRecord | None) -> list[Light]:
    """ERP flow per dataset, from the last score's data-flow factor."""
    facts = (latest.factors.get("data_flow") or {}).get("facts") if latest else None
    lights = []
    for judged in (facts or {}).get("datasets", []):
        colour = "red" if judged["collapsed"] else "green" if judged["score"] >= 1 else "yellow"
        title = (
            f"{judged['dataset']}: {judged['actual']} registros contra {num(judged['expected'])} "
            f"esperados nos últimos dias"
        )
        lights.append(Light(judged["dataset"], colour, title))
    return lights


def last_load(run: RunRecord | None, zone: ZoneInfo) -> dict[str, str]:
    """The last load: when, its status, and why it failed if it did."""
    if run is None:
        return {"when": "nenhuma carga", "status": "", "failure": ""}
    failure = ""
    if run.status == "failed":
        failure = "falhou" + ("" if run.connection_ok else ": sem conexão com o ERP")
    elif failing := run.failing_blocking():
        names = ", ".join(f"{c.get('dataset')}.{c.get('name')}" for c in failing)
        failure = f"verificação bloqueante falhando: {names}"
    return {
        "when": run.ended_at.astimezone(zone).strftime("%d/%m/%Y %H:%M"),
        "status": LOAD_STATUS.get(run.status, run.status),
        "failure": failure,
    }
