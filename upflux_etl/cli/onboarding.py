"""`upflux connect-test` and `upflux discover`: a new hospital's source, before its first load."""

from __future__ import annotations

import json
import sys

import typer
from rich.markup import escape

from upflux_etl.cli.console import console, friendly_errors
from upflux_etl.cli.lookup import find_client
from upflux_etl.settings import Settings


def connect_test(
    client: str = typer.Argument(..., help="client file stem, e.g. demo"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Reach each source, prove read-only access, check each dataset's query (no row read)."""
    from upflux_etl.onboarding.connect_test import connect_test as run_test
    from upflux_etl.onboarding.records import write_connect_test

    settings = Settings.from_env()
    with friendly_errors():
        catalog, spec = find_client(settings, client)
        result = run_test(settings, catalog, spec)
        data = result.as_dict()
        kept = write_connect_test(settings, spec.slug, data)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        _print_connect_test(data)
        console.print(f"kept as Round 1 evidence: {escape(str(kept))}", soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


def _print_connect_test(data: dict) -> None:
    for name, source in data["sources"].items():
        mark = "[green]ok[/]" if source["ok"] else "[red]FAIL[/]"
        console.print(f"{mark} source {escape(name)}: {escape(source['url'])}", soft_wrap=True)
        if source["error"]:
            console.print(f"   [red]{escape(source['error'])}[/]", soft_wrap=True)
            continue
        ro = source["read_only"]
        value = {True: "yes", False: "NO", None: "not proven"}[ro["value"]]
        console.print(f"   read-only: {value} ({escape(ro['how'])})", soft_wrap=True)
        for item in ro["account_can_write"]:
            console.print(f"     can write: {escape(item)}", soft_wrap=True)
        for problem in source["problems"]:
            console.print(f"   [red]{escape(problem)}[/]", soft_wrap=True)
        for note in source["notes"]:
            console.print(f"   note: {escape(note)}", soft_wrap=True)
        for dataset, check in source["datasets"].items():
            ok = "[green]ok[/]" if check["columns_ok"] else "[red]FAIL[/]"
            rows = "?" if check["rows"] is None else f"{check['rows']:,}"
            console.print(f"   {ok} {dataset}: {rows} rows ({escape(check['query'])})")
            for line in check["problems"]:
                console.print(f"      [red]{escape(line)}[/]", soft_wrap=True)
            for line in check["warnings"]:
                console.print(f"      [yellow]warning:[/] {escape(line)}", soft_wrap=True)
            for line in check["notes"]:
                console.print(f"      note: {escape(line)}", soft_wrap=True)
        dba = source["dba"]
        console.print(
            f"   the DBA sees: {dba['sessions']} session ({escape(dba['application_name'])}), "
            f"{dba['statements']} statements, longest query {dba['longest_query_s']} s, "
            f"longest transaction {dba['longest_transaction_s']} s, {dba['rows_read']} rows read",
            soft_wrap=True,
        )
    console.print(f"{'passed' if data['ok'] else 'FAILED'} in {data['seconds']} s")


def discover(
    client: str = typer.Argument(..., help="client file stem, e.g. demo"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
    tables: str = typer.Option(None, "--tables", help="only tables matching this glob (pedido_*)"),
    exact: bool = typer.Option(
        False, "--exact", help="count and profile every row instead of statistics and a sample"
    ),
) -> None:
    """Profile each source's tables and columns to write queries and mappings (no personal value)."""
    from upflux_etl.onboarding.discover import DiscoverOptions, discover_client

    settings = Settings.from_env()
    with friendly_errors():
        _, spec = find_client(settings, client)
        data = discover_client(settings, spec, DiscoverOptions(tables=tables, exact=exact))
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    for source, found in data["sources"].items():
        console.print(f"[bold]source {escape(source)}[/]: sampling {found['sampling']}")
        for table, info in found["tables"].items():
            console.print(
                f"  [bold]{escape(table)}[/]: {info['rows']:,} rows ({info['rows_from']}); "
                f"keys? {', '.join(info['candidate_keys']) or '-'}",
                soft_wrap=True,
            )
            for column, p in info["columns"].items():
                extra = (
                    f"personal ({p['personal']}): values hidden"
                    if "personal" in p
                    else ", ".join(f"{k}={v}" for k, v in list(p.get("codes", {}).items())[:10])
                )
                console.print(
                    f"    {escape(column)} {escape(p['type'])}: nulls {p['null_share']:.1%}, "
                    f"{p['distinct']} distinct {escape(extra)}",
                    soft_wrap=True,
                )
            for ts in info["timestamp_columns"]:
                idx = "indexed" if ts["indexed"] else "NO index"
                console.print(f"    timestamp {escape(ts['column'])}: {idx}")
