"""`upflux purge CLIENT`: remove everything of a hospital at contract end (LGPD)."""

from __future__ import annotations

import getpass
import json
import sys

import typer
from rich.markup import escape

from upflux_etl.catalog.models import slugify
from upflux_etl.cli.console import console, errors, friendly_errors
from upflux_etl.settings import Settings


def purge(
    client: str = typer.Argument(..., help="client file stem (or slug), e.g. demo"),
    yes: bool = typer.Option(False, "--yes", help="do not ask for confirmation"),
    by: str = typer.Option("", "--by", help="who purges (default: the OS user)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Remove a hospital's warehouse, builds, exports, quarantine, reports and state records.

    Only an audit line stays (who, when, what: counts, never personal data). The client file
    is left for its owner to remove.
    """
    from upflux_etl.privacy.purge import purge_client

    settings = Settings.from_env()
    with friendly_errors():
        slug = slugify(client)
    folder = settings.client_dir(slug)
    if not yes and not typer.confirm(
        f"Remove every file under {folder} and every state record of {slug}? This cannot be undone"
    ):
        errors.print("purge cancelled: nothing removed")
        raise typer.Exit(1)
    who = by or getpass.getuser()
    runs = _delete_dagster_runs(settings, slug)
    report = purge_client(settings, slug, by=who, dagster_runs=runs)
    if as_json:
        out = {**report.as_dict(), "client": slug, "state_rows": report.state_rows}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    console.print(
        f"purged {escape(slug)}: {report.files} file(s) under {escape(report.folder)}, "
        f"state rows {report.state_rows}, {runs} Dagster run(s); audit line kept "
        f"(by {escape(who)}). Remove clients/{escape(client)}.yaml when the contract says so.",
        soft_wrap=True,
    )


def _delete_dagster_runs(settings: Settings, slug: str) -> int:
    """Delete the client's runs (and their events) from the Dagster instance; how many."""
    import dagster as dg

    from upflux_etl.definitions.run_tags import CLIENT_TAG
    from upflux_etl.runner import instance_for

    instance = instance_for(settings)
    records = instance.get_run_records(filters=dg.RunsFilter(tags={CLIENT_TAG: slug}))
    for record in records:
        instance.delete_run(record.dagster_run.run_id)
    keys = [k for k in instance.get_asset_keys() if k.path and k.path[0] == slug]
    if keys:
        instance.wipe_assets(keys)
    return len(records)
