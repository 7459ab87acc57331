"""`upflux actions`: list a hospital's next actions and mark them done, snoozed or dismissed."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from upflux_etl.cli.console import console, friendly_errors, refuse
from upflux_etl.cli.dates import parse_day
from upflux_etl.cli.lookup import find_client
from upflux_etl.settings import Settings

if TYPE_CHECKING:
    from upflux_etl.state.records import ActionRecord


app = typer.Typer(no_args_is_help=True, help="Next actions of Customer Success and integration.")


@app.command("list")
def list_actions(
    client: str,
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
    show_all: bool = typer.Option(False, "--all", help="also done, snoozed and dismissed ones"),
) -> None:
    """The hospital's actions to do (open, and snoozed ones whose date came), soonest first."""
    from upflux_etl.health.view import action_view, open_actions
    from upflux_etl.state.store import StateStore

    settings = Settings.from_env()
    with friendly_errors():
        _catalog, spec = find_client(settings, client)
        with StateStore(settings.state_url) as store:
            actions = store.actions(spec.slug)
    today = datetime.now(UTC).astimezone(spec.zone).date()
    shown = actions if show_all else open_actions(actions, today)
    views = [action_view(a) for a in shown]
    if as_json:
        sys.stdout.write(json.dumps(views, indent=2, ensure_ascii=False) + "\n")
        return
    if not views:
        console.print(f"{spec.name}: nenhuma ação aberta.")
        return
    table = Table(title=f"{spec.name}: ações")
    for col in ("id", "estado", "prazo", "responsável", "motivo"):
        table.add_column(col, no_wrap=col != "motivo")
    for v in views:
        table.add_row(str(v["id"]), v["state_label"], v["due"], v["owner"], escape(v["reason"]))
    console.print(table)


def _change(action_id: int, status: str, reason: str, by: str, **kw: object) -> ActionRecord:
    from upflux_etl.state.store import StateStore

    settings = Settings.from_env()
    with friendly_errors(), StateStore(settings.state_url) as store:
        try:
            store.action(action_id)
            return store.set_action_status(action_id, status, reason, by, **kw)  # type: ignore[arg-type]
        except KeyError:
            refuse(f"nenhuma ação com id {action_id}")
        except ValueError as exc:
            refuse(str(exc))


@app.command("done")
def done(
    action_id: int = typer.Argument(..., metavar="ID"),
    by: str = typer.Option(..., "--by", help="who did it"),
    note: str = typer.Option("", "--note", help="what was done"),
) -> None:
    """Mark an action done: it comes back only if its cause goes away and then returns."""
    action = _change(action_id, "done", note, by)
    console.print(f"ação #{action.id} ({action.kind}) concluída por {escape(by)}")


@app.command("snooze")
def snooze(
    action_id: int = typer.Argument(..., metavar="ID"),
    until: str = typer.Option(..., "--until", help="YYYY-MM-DD: quiet until this day"),
    by: str = typer.Option("cs", "--by", help="who snoozed it"),
    reason: str = typer.Option("adiada", "--reason", help="why"),
) -> None:
    """Snooze an action until a day: quiet until then, open again on that day."""
    day = parse_day(until, "--until")
    if day <= datetime.now(UTC).date():
        refuse(f"--until: {day.isoformat()} não está no futuro")
    action = _change(action_id, "snoozed", reason, by, due_date=day)
    console.print(f"ação #{action.id} ({action.kind}) adiada até {day.isoformat()}")


@app.command("dismiss")
def dismiss(
    action_id: int = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason", help="why it needs no doing"),
    by: str = typer.Option("cs", "--by", help="who dismissed it"),
) -> None:
    """Dismiss an action with a reason: it comes back only if its cause goes away and returns."""
    action = _change(action_id, "dismissed", reason, by)
    console.print(f"ação #{action.id} ({action.kind}) descartada: {escape(reason)}")
