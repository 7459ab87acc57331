"""`upflux quarantine`: a hospital's records open in quarantine, and the CSV for hospital IT."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from upflux_etl.cli.console import console, errors, friendly_errors
from upflux_etl.cli.lookup import find_client
from upflux_etl.settings import Settings


def quarantine(
    client: str = typer.Argument(..., help="client file stem, e.g. demo"),
    csv: str = typer.Option(
        None, "--csv", help="write every open record to this file (';', UTF-8 with BOM, Excel)"
    ),
) -> None:
    """Records open in quarantine now, by ERP id, with the checks they fail and since when."""
    from upflux_etl.pipeline.reporting import published
    from upflux_etl.reports.quarantine_csv import write_quarantine_csv
    from upflux_etl.reports.quarantine_data import open_rows

    settings = Settings.from_env()
    with friendly_errors():
        catalog, spec = find_client(settings, client)
        with published(settings, spec) as con:
            if con is None:
                errors.print(f"{spec.slug}: nothing published yet (run `upflux run {spec.slug}`)")
                raise typer.Exit(1)
            rows = open_rows(con, spec, catalog.canonical)
    if csv is not None:
        write_quarantine_csv(Path(csv), rows)
        console.print(f"{len(rows)} open record(s) written to {escape(str(csv))}", soft_wrap=True)
        return
    table = Table("dataset", "open", title=f"{spec.name}: {len(rows)} record(s) in quarantine")
    for dataset, count in sorted(Counter(r.dataset for r in rows).items()):
        table.add_row(dataset, str(count))
    console.print(table)
    for r in rows:
        console.print(
            f"{escape(r.dataset)}  {escape(r.id_columns)}={escape(r.record_id)}  "
            f"{escape(', '.join(r.checks))}  since {escape(r.first_seen)}",
            soft_wrap=True,
        )
