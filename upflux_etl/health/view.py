"""One hospital's health as its readers see it: the CLI, the UI's metadata and the radar."""

from __future__ import annotations

from datetime import date
from typing import Any

from upflux_etl.health.trend import trend_text
from upflux_etl.state.records import ActionRecord, HealthRecord

STATE_LABELS = {
    "open": "aberta",
    "done": "concluída",
    "snoozed": "adiada",
    "dismissed": "descartada",
}


def action_view(action: ActionRecord) -> dict[str, Any]:
    """An action with its state and, once handled, who handled it, when and why.

    Returns:
        `id`, `kind`, `state`, `reason`, `owner`, `due` (ISO date) and, by state: `done_by`,
        `done_at`, `note`; `until`; `dismissed_by`, `dismissed_reason`.
    """
    view: dict[str, Any] = {
        "id": action.id,
        "kind": action.kind,
        "state": action.status,
        "state_label": STATE_LABELS[action.status],
        "reason": action.reason,
        "owner": action.owner,
        "due": action.due_date.isoformat(),
    }
    if action.status == "done":
        view |= {
            "done_by": action.updated_by,
            "done_at": action.updated_at.isoformat(),
            "note": action.status_reason,
        }
    elif action.status == "snoozed":
        view |= {"until": action.due_date.isoformat(), "note": action.status_reason}
    elif action.status == "dismissed":
        view |= {"dismissed_by": action.updated_by, "dismissed_reason": action.status_reason}
    return view


def open_actions(actions: list[ActionRecord], today: date) -> list[ActionRecord]:
    """The actions to do: open ones, and snoozed ones whose date has come; soonest due first."""
    live = [
        a for a in actions if a.status == "open" or (a.status == "snoozed" and a.due_date <= today)
    ]
    return sorted(live, key=lambda a: (a.due_date, a.id or 0))


def factor_views(record: HealthRecord) -> list[dict[str, Any]]:
    """Each factor's score (0-1, None when it does not apply), points and explanation."""
    return [
        {
            "name": name,
            "title": f.get("title", name),
            "applies": f.get("applies", False),
            "score": f.get("value"),
            "weight": f.get("effective_weight"),
            "points": f.get("points"),
            "explanation": f.get("detail", ""),
        }
        for name, f in record.factors.items()
    ]


def health_view(
    record: HealthRecord | None,
    history: list[HealthRecord],
    actions: list[ActionRecord],
    today: date,
) -> dict[str, Any]:
    """A hospital's health: today's score and factors, the daily history and the open actions.

    Args:
        record: the day shown (None: never scored).
        history: every recorded day, oldest first.
        actions: the hospital's actions, whatever their state.
        today: the day that decides which snoozed actions are awake.
    """
    view: dict[str, Any] = {
        "as_of": record.as_of.isoformat() if record else None,
        "score": record.score if record else None,
        "band": record.band if record else None,
        "previous_score": record.previous_score if record else None,
        "trend": record.trend if record else None,
        "trend_text": trend_text(record.trend, record.previous_score) if record else None,
        "factors": factor_views(record) if record else [],
        "history": [
            {
                "as_of": h.as_of.isoformat(),
                "score": h.score,
                "band": h.band,
                "trend": h.trend,
            }
            for h in history
        ],
        "next_actions": [action_view(a) for a in open_actions(actions, today)],
    }
    return view


def health_metadata(
    score: float | None,
    band: str | None,
    previous: float | None,
    trend: str | None,
    actions: list[ActionRecord],
) -> dict[str, Any]:
    """What the UI's `health_score` asset shows: the words of `upflux health` and the radar.

    Returns:
        score, band, previous_score, trend (in Portuguese, with the previous score), the open
        actions (`next_actions`, as `upflux actions list --json`) and the same as Markdown.
    """
    lines = [
        f"- #{a.id} **{a.kind}** ({a.owner}, prazo {a.due_date:%d/%m/%Y}): {a.reason}"
        for a in actions
    ]
    return {
        "score": score,
        "band": band or "n/a",
        "previous_score": previous,
        "trend": trend_text(trend, previous) if score is not None else "n/a",
        "next_actions": [action_view(a) for a in actions],
        "actions_md": "\n".join(lines) or "Nenhuma ação aberta.",
    }
