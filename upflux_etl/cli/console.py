"""Terminal output: a rich console, progress lines from the pipeline's logger, loud errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def expected_errors() -> tuple[type[Exception], ...]:
    """Failures a person can fix from the message alone: shown without a traceback.

    Imported when an error is judged, not when the CLI starts: the extraction's modules
    pull in SQLAlchemy and Arrow, and `upflux validate` must answer in seconds.
    """
    from upflux_etl.catalog.errors import ConfigError
    from upflux_etl.extract.errors import SourceError
    from upflux_etl.extract.sql import QueryError
    from upflux_etl.mining.errors import EventLogError
    from upflux_etl.pipeline.context import LoadConfigError
    from upflux_etl.warehouse.lock import WriterBusy

    return (
        ConfigError,
        SourceError,
        QueryError,
        LoadConfigError,
        EventLogError,
        FileNotFoundError,
        WriterBusy,
    )


def show_progress(verbose: bool = False) -> None:
    """Print the pipeline's progress lines (logger `upflux`) on stderr."""
    logger = logging.getLogger("upflux")
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        handler = RichHandler(console=errors, show_path=False, show_level=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn expected failures into one red line and exit code 2."""
    try:
        yield
    except Exception as exc:
        if not isinstance(exc, expected_errors()):
            raise
        # soft_wrap: one line whatever the terminal's width (grep, logs, CI output).
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
        raise typer.Exit(2) from None


def refuse(message: str) -> NoReturn:
    """Refuse what a person typed: one red line, whole whatever the terminal, and exit code 2."""
    errors.print(f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True)
    raise typer.Exit(2)
