"""`upflux radar`: every hospital's health on one HTML page for Customer Success."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.markup import escape

from upflux_etl.catalog.reader import read_catalog, read_clients
from upflux_etl.cli.console import console, errors, friendly_errors
from upflux_etl.settings import Settings


def radar(
    out: str = typer.Option(None, "--out", help="the HTML file (default: data/cs_radar.html)"),
) -> None:
    """Write the CS radar: score, band, trend, checklist, modules, last load and actions."""
    from upflux_etl.health import fill_history
    from upflux_etl.pipeline.reporting import published
    from upflux_etl.reports import render_cs_radar
    from upflux_etl.state.store import StateStore

    settings = Settings.from_env()
    now = datetime.now(UTC)
    with friendly_errors():
        catalog = read_catalog(settings)
        clients = read_clients(settings, catalog).clients
        with StateStore(settings.state_url) as store:
            # Scored now, not only by last night's load: a hospital whose loads all fail has
            # no health asset run, yet must show its "contact hospital IT" action.
            for client in clients:
                with published(settings, client) as con:
                    fill_history(
                        con,
                        store,
                        client,
                        catalog.canonical,
                        catalog.health,
                        rounds=catalog.rounds,
                        now=now,
                    )
            path = render_cs_radar(
                store,
                clients,
                Path(out) if out else settings.data_dir / "cs_radar.html",
                rounds=catalog.rounds,
                modules=catalog.health.platform_use.modules,
                now=now,
            )
    console.print(f"CS radar: {escape(str(path))}", soft_wrap=True)


def overview(
    out: str = typer.Option(None, "--out", help="the HTML file (default: data/cs_radar.html)"),
) -> None:
    """Deprecated: the CS radar (`upflux radar`)."""
    errors.print("`upflux overview` is deprecated: use `upflux radar` (the CS radar).")
    radar(out)
