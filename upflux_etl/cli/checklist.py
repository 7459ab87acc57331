"""`upflux checklist`: see the Round 1-3 checklist and record what people did."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from upflux_etl.cli.console import console, friendly_errors, refuse
from upflux_etl.cli.lookup import find_client
from upflux_etl.settings import Settings

app = typer.Typer(no_args_is_help=True, help="The implementation checklist (Rounds 1-3).")


@app.command("show")
def show(client: str) -> None:
    """Every item: done or pending, with its evidence and who recorded it."""
    from upflux_etl.pipeline.reporting import checklist_step

    settings = Settings.from_env()
    with friendly_errors():
        catalog, spec = find_client(settings, client)
        status = checklist_step(settings, catalog, spec)
    table = Table(title=f"{spec.name}: {status.done}/{status.total} done")
    table.add_column("round")
    # Never cut: the id is what `upflux checklist record` takes.
    table.add_column("item", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("evidence")
    table.add_column("recorded by")
    for item in status.items:
        colour = {"done": "green", "in_progress": "yellow"}.get(item.status, "white")
        who = f"{item.recorded_by} {item.recorded_at:%Y-%m-%d}" if item.recorded_by else ""
        if item.done_on:
            who += f"\ndone on {item.done_on:%Y-%m-%d}"
        table.add_row(
            str(item.round),
            item.id,
            f"[{colour}]{item.status}[/]",
            f"[bold]{escape(item.title)}[/]\n{escape(item.evidence)}",
            escape(who),
        )
    console.print(table)


@app.command("record")
def record(
    client: str,
    item: str,
    by: str = typer.Option(..., "--by", help="who is recording (kept with the event)"),
    status: str = typer.Option("done", help="done | not_done | scheduled"),
    note: str = typer.Option("", help="free text kept with the event"),
    date: str = typer.Option(None, help="YYYY-MM-DD (meetings, trainings)"),
    dates: str = typer.Option(None, help="comma-separated YYYY-MM-DD (training schedule)"),
    attendees: str = typer.Option(None, help="comma-separated names (trainings)"),
    report_id: str = typer.Option(
        None, "--report-id", help="the quality report's id (data sign-off)"
    ),
) -> None:
    """Record a person's statement about an item; a correction is a newer statement."""
    # Imported here: the state store pulls in SQLAlchemy; `upflux validate` must start fast.
    from upflux_etl.checklist import record_checklist
    from upflux_etl.pipeline.run_records import state_store

    details = {
        "date": date,
        "dates": dates.split(",") if dates else None,
        "attendees": attendees.split(",") if attendees else None,
        "report_sha256": report_id,
    }
    settings = Settings.from_env()
    with friendly_errors():
        catalog, spec = find_client(settings, client)
        with state_store(settings) as store:
            try:
                event = record_checklist(
                    store,
                    catalog.rounds,
                    spec.slug,
                    item,
                    status,
                    by,
                    note=note,
                    details={k: v for k, v in details.items() if v},
                )
            except (KeyError, ValueError) as exc:
                refuse(str(exc).strip("'\""))
    console.print(f"recorded: {spec.slug} {event.item} = {event.status} by {event.recorded_by}")
