"""Dates typed by a person: ISO days only, with a clear message otherwise."""

from __future__ import annotations

from datetime import date

from upflux_etl.checklist.dates import parse_iso_day


def parse_day(text: str, option: str) -> date:
    """`text` as a YYYY-MM-DD day.

    Raises:
        typer.BadParameter: not an ISO day (e.g. `ontem`, `2026-13-45`), naming the option.
    """
    import typer

    try:
        return parse_iso_day(text, option)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
