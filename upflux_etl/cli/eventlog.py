"""`upflux eventlog`: a hospital's event log (case = encounter) as Parquet and XES."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from upflux_etl.cli.console import console, errors, friendly_errors
from upflux_etl.settings import Settings


def eventlog(
    client: str = typer.Argument(..., help="client file stem, e.g. demo"),
    out: str = typer.Option(None, "--out", help="folder (default: data/<client>/eventlog/)"),
) -> None:
    """Export the published warehouse's event log: event_log.parquet and event_log.xes."""
    from upflux_etl.catalog.eventlog import read_event_log_sql
    from upflux_etl.cli.lookup import find_client
    from upflux_etl.mining.warehouse_log import export_event_log
    from upflux_etl.pipeline.reporting import published

    settings = Settings.from_env()
    with friendly_errors():
        _, spec = find_client(settings, client)
        sql = read_event_log_sql(settings.root)
        folder = Path(out) if out else settings.client_dir(spec.slug) / "eventlog"
        with published(settings, spec) as con:
            if con is None:
                errors.print(f"{spec.slug}: no published warehouse yet (run `upflux run`)")
                raise typer.Exit(1)
            exported = export_event_log(con, sql, folder)
    console.print(
        f"{exported.cases} cases, {exported.events} events: {escape(str(exported.parquet))}, "
        f"{escape(str(exported.xes))}",
        soft_wrap=True,
    )
