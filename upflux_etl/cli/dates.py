"""Dates typed by a person: ISO days only, with a clear message otherwise."""

from __future__ import annotations

from datetime import date

from upflux_etl.cli.console import refuse


def parse_day(text: str, option: str) -> date:
    """`text` as a YYYY-MM-DD day.

    Raises:
        typer.Exit: not an ISO day (e.g. `ontem`, `2026-13-45`): one line naming the option.
    """
    from upflux_etl.checklist.dates import parse_iso_day

    try:
        return parse_iso_day(text, option)
    except ValueError as exc:
        refuse(str(exc))
