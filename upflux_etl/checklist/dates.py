"""Dates on checklist records: ISO days, in the past when done, in the implementation's order.

The order is the kick-off, then the trainings in turn.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from upflux_etl.state.records import ChecklistEvent

# Items whose `date` follows this order: each happened on or after the ones before it.
ORDER = ("kickoff", "training_1", "training_2", "training_3")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_iso_day(text: str, what: str = "data") -> date:
    """`text` as a day written YYYY-MM-DD.

    Raises:
        ValueError: anything else (`ontem`, `05/10/2026`, `2026-13-45`), in Portuguese.
    """
    value = str(text).strip()
    if _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(
        f"{what}: {text!r} não é uma data válida; use o formato AAAA-MM-DD (ex.: 2026-10-05)"
    )


def checked_dates(
    item: str,
    status: str,
    details: dict[str, Any],
    earlier: list[ChecklistEvent],
    today: date,
) -> dict[str, Any]:
    """The details with their dates checked and written as ISO days.

    Args:
        item: the checklist item.
        status: done, not_done or scheduled (only what is done cannot be in the future).
        details: what the person stated (`date`, `dates`).
        earlier: the client's events recorded before, in the order recorded.
        today: the day of the record.

    Raises:
        ValueError: a date that is not an ISO day, a done event dated in the future, or a date
            out of the implementation's order (a training before the kick-off).
    """
    out = dict(details)
    if details.get("dates"):
        out["dates"] = [parse_iso_day(d, "dates").isoformat() for d in details["dates"]]
    if not details.get("date"):
        return out
    day = parse_iso_day(details["date"], "date")
    out["date"] = day.isoformat()
    if status == "done" and day > today:
        raise ValueError(
            f"date: {day.isoformat()} está no futuro; registre como realizado só o que já "
            f"aconteceu (ou use --status scheduled)"
        )
    if status == "done" and item in ORDER:
        _check_order(item, day, _known_dates(earlier))
    return out


def _known_dates(events: list[ChecklistEvent]) -> dict[str, date]:
    """The date of each ordered item, as its latest done event states it."""
    known: dict[str, date] = {}
    for event in events:
        if event.item in ORDER and event.status == "done" and event.details.get("date"):
            try:
                known[event.item] = date.fromisoformat(str(event.details["date"])[:10])
            except ValueError:
                continue  # a record from before dates were checked: no order to keep
        elif event.item in ORDER and event.status != "done":
            known.pop(event.item, None)
    return known


def _check_order(item: str, day: date, known: dict[str, date]) -> None:
    position = ORDER.index(item)
    for other, when in known.items():
        if other == item:
            continue
        before = ORDER.index(other) < position
        if (before and when > day) or (not before and when < day):
            first, then = (other, item) if before else (item, other)
            raise ValueError(
                f"date: {item} em {day.isoformat()} fora de ordem com {other} em "
                f"{when.isoformat()}: {first} vem antes de {then}"
            )
