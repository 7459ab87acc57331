"""`upflux health`: a hospital's score, trend, factors, daily history and open actions."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import Catalog, read_catalog, read_clients
from upflux_etl.cli.console import console, friendly_errors
from upflux_etl.cli.dates import parse_day
from upflux_etl.cli.lookup import find_client
from upflux_etl.settings import Settings

if TYPE_CHECKING:
    pass


def hospital_health(
    settings: Settings, catalog: Catalog, client: ClientSpec, *, as_of: date | None = None
) -> dict[str, Any]:
    """Score today (filling unscored days) or recompute `as_of`, and describe the hospital."""
    from upflux_etl.health import fill_history, recompute_day
    from upflux_etl.health.view import health_view
    from upflux_etl.pipeline.reporting import published
    from upflux_etl.state.store import StateStore

    now = datetime.now(UTC)
    today = now.astimezone(client.zone).date()
    with published(settings, client) as con, StateStore(settings.state_url) as store:
        args = (con, store, client, catalog.canonical, catalog.health)
        if as_of is None or as_of == today:
            fill_history(*args, rounds=catalog.rounds, now=now)
            history = store.health_history(client.slug)
            record = history[-1] if history else None
        else:
            score = recompute_day(*args, as_of, rounds=catalog.rounds, now=now)
            record = score.to_record() if score.score is not None else None
            history = [h for h in store.health_history(client.slug) if h.as_of <= as_of]
        view = health_view(record, history, store.actions(client.slug), today)
    return {"client": client.slug, "name": client.name, "cs_owner": client.cs_owner} | view


def health(
    client: str = typer.Argument(None, help="a client; every hospital when left out"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
    as_of: str = typer.Option(
        None, "--as-of", help="YYYY-MM-DD: recompute a past day as it was known then"
    ),
) -> None:
    """Health score, band, trend, factors, the daily history and the open actions."""
    settings = Settings.from_env()
    with friendly_errors():
        day = parse_day(as_of, "--as-of") if as_of else None
        if client:
            catalog, spec = find_client(settings, client)
            views = [hospital_health(settings, catalog, spec, as_of=day)]
        else:
            catalog = read_catalog(settings)
            clients = read_clients(settings, catalog).clients
            views = [hospital_health(settings, catalog, c, as_of=day) for c in clients]
    if as_json:
        payload: Any = views[0] if client else views
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    for view in views:
        _print_view(view)


def _print_view(view: dict[str, Any]) -> None:
    name = escape(view["name"])
    if view["score"] is None:
        console.print(f"[bold]{name}[/]: ainda sem nota de saúde")
        return
    console.print(
        f"[bold]{name}[/] em {view['as_of']}: nota [bold]{view['score']:.1f}[/] "
        f"({view['band']}), tendência {escape(view['trend_text'])}"
    )
    factors = Table(title="fatores")
    for col in ("fator", "valor", "pontos", "explicação"):
        factors.add_column(col)
    for f in view["factors"]:
        value = "—" if f["score"] is None else f"{f['score'] * 100:.0f}%"
        factors.add_row(f["title"], value, f"{f['points'] or 0:.1f}", escape(f["explanation"]))
    console.print(factors)
    days = " ".join(f"{h['as_of'][5:]}:{h['score']:.0f}" for h in view["history"])
    console.print(f"histórico ({len(view['history'])} dias): {days}", soft_wrap=True)
    if not view["next_actions"]:
        console.print("Nenhuma ação aberta.")
    for a in view["next_actions"]:
        console.print(
            f"  #{a['id']} [{a['state_label']}] prazo {a['due']} ({escape(a['owner'])}): "
            f"{escape(a['reason'])}",
            soft_wrap=True,
        )
