"""The human summary printed after a run."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.cli.console import console
from upflux_etl.health.trend import trend_text
from upflux_etl.settings import Settings
from upflux_etl.status import read_status


def print_run_summary(settings: Settings, catalog: Catalog, client: ClientSpec, result) -> None:
    """Ledger per dataset, failing checks, latest indicator values and where files are."""
    if not result.success:
        _print_step_failures(result)
    state = read_status(settings, client, catalog)
    if not state["load"]:
        console.print(f"[red]{client.slug}: nothing published[/]")
        return
    if not result.success:
        console.print(f"[red]load {result.run_id[:8]} failed[/]; the last published load:")
    labels = {name: d.label for name, d in catalog.canonical.datasets.items()}
    console.print(_ledger_table(state, labels))
    opened = sum(row.get("quarantine_open", 0) for row in state["datasets"].values())
    if opened:
        console.print(
            f"in quarantine now (every load): {opened:,} record(s); "
            f"list: upflux quarantine {client.slug} [--csv FILE]",
            soft_wrap=True,
        )
    failing = [c for c in state["checks"] if not c["passed"]]
    if failing:
        console.print(_checks_table(failing))
    console.print(_indicator_table(state))
    if health := state.get("health"):
        trend = trend_text(health.get("trend"), health.get("previous_score"))
        console.print(
            f"health score: [bold]{health['score']:.0f}[/] ({health['band']}, tendência "
            f"{escape(trend)})"
        )
    # soft_wrap: paths stay whole on one line, whatever the terminal's width.
    console.print(f"warehouse: {escape(state['warehouse'])}", soft_wrap=True)
    if (report := state.get("report") or {}).get("path"):
        console.print(f"quality report: {escape(report['path'])}", soft_wrap=True)


def _print_step_failures(result) -> None:
    """Each failed step with the error that made it fail (not Dagster's wrapper around it)."""
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            message = escape(error.message.strip()) if error else ""
            console.print(f"[red]failed[/] {event.step_key}: {message}", soft_wrap=True)


def _ledger_table(state: dict, labels: dict[str, str]) -> Table:
    table = Table(
        title=f"{state['name']} - load {state['load']['load_id'][:8]} ({state['load']['mode']})"
    )
    for col in ("dataset", "extracted", "published", "quarantined", "held", "balanced", "s"):
        table.add_column(col, justify="left" if col == "dataset" else "right")
    for name, row in state["datasets"].items():
        table.add_row(
            name,
            f"{row['extracted']:,}",
            f"{row['published']:,}",
            f"{row['quarantined']:,}",
            f"{row['held']:,}",
            "yes" if row["balanced"] else "[red]NO[/]",
            f"{row['duration_s']:.1f}",
        )
    # The Portuguese names under the table, not in a column: the rows stay one line each.
    table.caption = escape("; ".join(f"{n}: {labels[n]}" for n in state["datasets"] if n in labels))
    return table


def _checks_table(failing: list[dict]) -> Table:
    table = Table(title="checks that found problems")
    for col in ("dataset", "check", "level", "failing rows"):
        table.add_column(col)
    for c in failing:
        level = "dataset (blocking)" if c["blocking"] else c["level"]
        table.add_row(c["dataset"], c["name"], level, f"{c['failing_count']:,}")
    return table


# The measures an indicator is read by; the others (patient_days, saidas, counts, the Pareto's
# amounts) are its components, in `upflux status --json` and the report.
HEADLINE_MEASURES = ("value", "p50", "p90", "within_target")
PERCENT_MEASURES = ("within_target", "share")


def _indicator_table(state: dict) -> Table:
    """One line per indicator: its headline measures in the latest month.

    The overall series when there is one, else the first breakdown (named in the line).
    """
    latest = max((v["period"] for v in state["indicators"]), default=None)
    table = Table(title=f"indicators, {latest or 'no values'}")
    table.add_column("indicator", no_wrap=True)
    table.add_column("latest month")
    table.add_column("unit")
    rows: dict[str, dict[str, list[dict]]] = {}
    for v in state["indicators"]:
        if v["period"] == latest and v["measure"] in HEADLINE_MEASURES:
            dims = ", ".join(f"{k}={x}" for k, x in v["dimensions"].items())
            rows.setdefault(v["indicator"], {}).setdefault(dims, []).append(v)
    for indicator, series in sorted(rows.items()):
        dims = "" if "" in series else sorted(series)[0]
        values = sorted(series[dims], key=lambda v: HEADLINE_MEASURES.index(v["measure"]))
        text = "  ".join(
            f"{v['measure']} {v['value']:.2f}{'%' if v['measure'] in PERCENT_MEASURES else ''}"
            for v in values
        )
        table.add_row(indicator, f"{text}  ({dims})" if dims else text, values[0]["unit"])
    return table
