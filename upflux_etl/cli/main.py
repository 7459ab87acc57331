"""`upflux` commands."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.markup import escape

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.validation import validate_project
from upflux_etl.cli import actions, checklist, onboarding
from upflux_etl.cli.console import console, errors, friendly_errors, refuse, show_progress
from upflux_etl.cli.dates import parse_day
from upflux_etl.cli.eventlog import eventlog
from upflux_etl.cli.health import health
from upflux_etl.cli.lookup import find_client, find_runnable_client
from upflux_etl.cli.mine import mine
from upflux_etl.cli.purge import purge
from upflux_etl.cli.quarantine import quarantine
from upflux_etl.cli.radar import overview, radar
from upflux_etl.settings import Settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="UpFlux ETL: hospital ERP data, proven right, every night.",
)
app.add_typer(checklist.app, name="checklist")
app.add_typer(actions.app, name="actions")
app.command("health")(health)
app.command("radar")(radar)
app.command("quarantine")(quarantine)
app.command("overview", hidden=True)(overview)
app.command("mine")(mine)
app.command("eventlog")(eventlog)
app.command("purge")(purge)
app.command("connect-test")(onboarding.connect_test)
app.command("discover")(onboarding.discover)
# Every command imports what it runs inside its own function (here and in cli/*): Dagster and
# Great Expectations (~8 s), the state store and warehouse (SQLAlchemy, DuckDB, Arrow) would
# otherwise be paid by `upflux validate`, which must answer in under 3 s. The demo ERP
# generator (a package of its own, through upflux_etl.demo) only by `demo` and `demo-erp`.


@app.command()
def validate() -> None:
    """Check every declarative file and client file; report every problem in one pass."""
    settings = Settings.from_env()
    validation = validate_project(settings)
    for client in validation.clients:
        console.print(f"[green]ok[/]    {escape(client.file)}", soft_wrap=True)
    for problem in validation.problems:
        field, message = escape(problem.field or "(file)"), escape(problem.message)
        line = f" (line {problem.line})" if problem.line else ""
        console.print(
            f"[red]error[/] {escape(problem.file)}: [bold]{field}[/]: {message}{line}",
            soft_wrap=True,
        )
    if validation.catalog is None:
        console.print(f"{len(validation.problems)} problem(s) in the project's files")
    else:
        console.print(
            f"{len(validation.clients)} client file(s) valid, "
            f"{len(validation.client_errors)} with errors ({len(validation.problems)} problem(s))"
        )
    if not validation.ok:
        raise typer.Exit(1)


@app.command()
def run(
    client: str = typer.Argument(..., help="client file stem, e.g. demo"),
    full: bool = typer.Option(
        False, "--full", help="reload everything instead of the incremental window"
    ),
    rotate_key: bool = typer.Option(
        False,
        "--rotate-key",
        help="with --full: adopt a new pseudonymisation key, re-pseudonymising everything "
        "(docs/OPERATIONS.md)",
    ),
    history: bool = typer.Option(
        False,
        "--history",
        help="first historical load: one published load per period, resumable "
        "(docs/OPERATIONS.md, Carga histórica)",
    ),
    since: str | None = typer.Option(
        None, "--since", help="with --history: first day, YYYY-MM-DD (default: history.since)"
    ),
    period: str | None = typer.Option(
        None, "--period", help="with --history: month, quarter or year (default: history.period)"
    ),
    until: str | None = typer.Option(
        None,
        "--until",
        help="with --history: day after the last period, YYYY-MM-DD (default: today); the "
        "nightly loads from there",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run one client's pipeline in this process."""
    from upflux_etl.cli.summary import print_run_summary

    settings = Settings.from_env()
    show_progress(verbose)
    if rotate_key and not full:
        refuse("--rotate-key re-pseudonymises every record: it needs --full")
    if history:
        if full or rotate_key:
            refuse("--history is a load of its own: not with --full or --rotate-key")
        _run_history(settings, client, since=since, period=period, until=until)
        return
    if since or period or until:
        refuse("--since, --period and --until go with --history")
    with friendly_errors():
        catalog, spec = find_runnable_client(settings, client)
        result = _run_client(settings, spec.slug, full=full, rotate_key=rotate_key)
    print_run_summary(settings, catalog, spec, result)
    if not result.success:
        raise typer.Exit(1)


@app.command()
def status(
    client: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """State of the last published load: ledger, checks, indicators, health, checklist."""
    from upflux_etl.status import read_status

    settings = Settings.from_env()
    with friendly_errors():
        catalog, spec = find_client(settings, client)
        state = read_status(settings, spec, catalog)
    if as_json:
        sys.stdout.write(json.dumps(state, indent=2, default=str, ensure_ascii=False) + "\n")
        return
    last_run = state.get("last_run")
    if last_run and last_run["status"] == "failed":
        errors.print(
            f"{spec.slug}: the last load ({last_run['load_id']}, {last_run['started_at']}) "
            f"failed: {last_run['error'] or 'no reason recorded'}"
        )
    if not state["load"]:
        errors.print(f"{spec.slug}: nothing published yet (run `upflux run {spec.slug}`)")
        raise typer.Exit(1)
    console.print_json(json.dumps(state, default=str))


@app.command()
def ui(
    port: int = typer.Option(3000, help="port of the web UI"),
    host: str = typer.Option(
        "127.0.0.1", help="address to bind; localhost by default (no sign-on here)"
    ),
) -> None:
    """Open the Dagster UI on the same instance and data as the CLI; Ctrl-C stops all of it."""
    from upflux_etl.instance import dagster_home
    from upflux_etl.ui_server import serve

    settings = Settings.from_env()
    os.environ["DAGSTER_HOME"] = str(dagster_home(settings))
    workspace = settings.root / "dagster_workspace.yaml"
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    argv = [dagster, "dev", "-w", str(workspace), "-h", host, "-p", str(port)]
    console.print(f"Starting the Dagster UI (DAGSTER_HOME={os.environ['DAGSTER_HOME']}) ...")
    code = serve(
        argv,
        f"http://{host}:{port}",
        lambda url: console.print(f"Dagster UI on {url}  (Ctrl-C stops it)", soft_wrap=True),
    )
    raise typer.Exit(code)


@contextmanager
def demo_installed() -> Iterator[None]:
    """A missing demo package as one red line and exit code 2, like other expected failures."""
    from upflux_etl.demo import DemoNotInstalledError

    try:
        yield
    except DemoNotInstalledError as exc:
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
        raise typer.Exit(2) from None


@app.command()
def demo(
    client: str = typer.Argument("demo", help="a client file with a `demo:` section"),
    regenerate: bool = typer.Option(
        False, "--regenerate", help="rebuild the demo ERP even if it exists"
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Build the demo hospital ERP, run the whole pipeline, and backfill 30 days of health."""
    from upflux_etl.cli.summary import print_run_summary
    from upflux_etl.demo import build_demo_erp
    from upflux_etl.pipeline.reporting import backfill_health

    started = time.monotonic()
    settings = Settings.from_env()
    show_progress(verbose)
    with demo_installed(), friendly_errors():
        catalog, spec = find_runnable_client(settings, client)
        if spec.demo is None:
            raise ConfigError(
                spec.file, "demo", "no `demo:` section; only demo clients can be generated"
            )
        console.print(f"[bold]1/3[/] generating the demo ERP of {spec.name}")
        erp_dir = build_demo_erp(settings, spec, force=regenerate)
        console.print(
            "[bold]2/3[/] running the pipeline (extract, validate, publish, indicators, report)"
        )
        result = _run_client(settings, spec.slug, full=True)
        console.print("[bold]3/3[/] backfilling 30 days of health history")
        backfill_health(settings, catalog, spec, days=30)
    print_run_summary(settings, catalog, spec, result)
    console.print(f"demo ERP, ground truth and defect manifest: {erp_dir}", soft_wrap=True)
    console.print(
        f"done in {time.monotonic() - started:.0f} s. Open the UI on the same data: make ui"
    )
    if not result.success:
        raise typer.Exit(1)


@app.command(
    "demo-erp",
    # The generator's own argparse reads the options (and --help): one list of them, one
    # set of defaults, the same as `python -m hospitalis_demo`.
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def demo_erp(ctx: typer.Context) -> None:
    """Generate the demo hospital ERP, its ground truth and defect manifest into a folder.

    Options (see --help): --out DIR [--seed N] [--scale X] [--beds N] [--months N]
    [--end-date D] [--erp-url URL] [--platform-url URL] [--schema S].
    """
    from upflux_etl.demo import generate_demo_erp

    with demo_installed():
        code = generate_demo_erp(list(ctx.args))
    if code:
        raise typer.Exit(code)


def _run_history(
    settings: Settings,
    client: str,
    *,
    since: str | None,
    period: str | None,
    until: str | None,
) -> None:
    """`upflux run CLIENT --history`: the pending periods, one published load each."""
    import signal

    from upflux_etl.cli.summary import print_run_summary
    from upflux_etl.history import history_options, plan_history, run_history
    from upflux_etl.pipeline.history import PERIOD_KINDS
    from upflux_etl.runner import RunInterrupted

    if period is not None and period not in PERIOD_KINDS:
        refuse(f"--period: {period!r} is not one of {', '.join(PERIOD_KINDS)}")
    first = parse_day(since, "--since") if since else None
    last = parse_day(until, "--until") if until else None
    with friendly_errors():
        catalog, spec = find_runnable_client(settings, client)
        day, kind = history_options(spec, first, period)
        try:
            plan = plan_history(settings, spec, since=day, period=kind, until=last)
        except ValueError as exc:
            refuse(str(exc))
        if plan.finished:
            done = plan.published[-1]
            console.print(
                f"{spec.slug}: a carga histórica desde {day} ({kind}) já terminou "
                f"({done.total} períodos, até {done.end}); a carga noturna continua de lá"
            )
            return
        if plan.published:
            console.print(
                f"{spec.slug}: retomando a carga histórica: {len(plan.published)} período(s) "
                f"já publicado(s)"
            )
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            outcome = run_history(
                settings, spec, plan, on_period=lambda w: console.print(f"[bold]{w.label}[/]")
            )
        except RunInterrupted as exc:
            errors.print(
                f"[bold red]interrupted:[/] {escape(str(exc))}. Rode o mesmo comando para "
                "retomar deste período.",
                markup=True,
                soft_wrap=True,
            )
            raise typer.Exit(130) from None
    if outcome.result is not None:
        print_run_summary(settings, catalog, spec, outcome.result)
    if not outcome.success:
        failed = outcome.ran[-1]
        errors.print(
            f"[bold red]{escape(failed.label)} falhou[/]; nada dele foi publicado. Corrija a "
            f"causa e rode o mesmo comando: a carga retoma no período {failed.number}.",
            markup=True,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(
        f"{spec.slug}: carga histórica concluída ({plan.periods[-1].total} períodos, até "
        f"{plan.periods[-1].end}); a carga noturna continua a partir de {plan.periods[-1].end}"
    )


def _run_client(settings: Settings, slug: str, *, full: bool, rotate_key: bool = False):
    """The load, in this process (Dagster is imported only once the client is known runnable).

    SIGTERM stops it like Ctrl-C: the run's build is discarded, one plain line, exit 130.
    """
    import signal

    from upflux_etl.runner import RunInterrupted, run_client

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run_client(settings, slug, full=full, rotate_key=rotate_key)
    except RunInterrupted as exc:
        errors.print(f"[bold red]interrupted:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
        raise typer.Exit(130) from None
