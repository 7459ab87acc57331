"""What a person records on the checklist: validated against the rounds, then appended."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from upflux_etl.catalog.checklist import Rounds
from upflux_etl.checklist.dates import checked_dates
from upflux_etl.state.records import ChecklistEvent
from upflux_etl.state.store import StateStore


def record_checklist(
    store: StateStore,
    rounds: Rounds,
    client: str,
    item: str,
    status: str,
    recorded_by: str,
    *,
    note: str = "",
    details: dict[str, Any] | None = None,
    recorded_at: datetime | None = None,
) -> ChecklistEvent:
    """Append a person's statement about an item; a correction is simply a newer statement.

    Raises:
        KeyError: the item is not on the checklist.
        ValueError: the item is proven only by the pipeline, a "done" statement lacks the
            details the item requires (dates, attendees, the signed-off report's id), or a
            date is not an ISO day, lies in the future though done, or is out of order.
    """
    spec = rounds.item(item)
    if not spec.person:
        raise ValueError(
            f"{item!r} is proven by the pipeline only ({spec.rule}); a person cannot record it"
        )
    recorded_at = recorded_at or datetime.now(UTC)
    earlier = [e for e in store.checklist_events(client) if e.recorded_at <= recorded_at]
    details = checked_dates(item, status, dict(details or {}), earlier, recorded_at.date())
    if status == "done":
        missing = [key for key in spec.requires if not details.get(key)]
        if missing:
            raise ValueError(f"{item!r} done needs details: {', '.join(missing)}")
    signed = details.get("report_sha256")
    if signed is not None and not re.fullmatch(r"[0-9a-f]{64}", str(signed)):
        raise ValueError("report_sha256 must be the report's 64 hexadecimal characters id")
    return store.record_checklist_event(
        client, item, status, recorded_by, note=note, details=details, recorded_at=recorded_at
    )
