"""The human summary printed after a run."""

from __future__ import annotations

from rich.table import Table

from upflux_etl.catalog.loader import Catalog
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.cli.console import console
from upflux_etl.settings import Settings
from upflux_etl.status import load_status


def print_run_summary(settings: Settings, catalog: Catalog, client: ClientSpec, result) -> None:
    """Ledger per dataset, failing checks, latest indicator values and where files are."""
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                data = event.step_failure_data
                console.print(
                    f"[red]failed[/] {event.step_key}: {data.error.message.strip() if data.error else ''}"
                )
    state = load_status(settings, client, catalog)
    if not state["load"]:
        console.print(f"[red]{client.slug}: nothing published[/]")
        return
    console.print(_ledger_table(state))
    failing = [c for c in state["checks"] if not c["passed"]]
    if failing:
        console.print(_checks_table(failing))
    console.print(_indicator_table(state))
    for key, label in (("health", "health score"),):
        if state.get(key):
            h = state[key]
            console.print(
                f"{label}: [bold]{h['score']:.0f}[/] ({h['band']}, trend {h.get('trend', '-')})"
            )
    console.print(f"warehouse: {state['warehouse']}")
    if state.get("report"):
        console.print(f"quality report: {state['report']}")


def _ledger_table(state: dict) -> Table:
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
    return table


def _checks_table(failing: list[dict]) -> Table:
    table = Table(title="checks that found problems")
    for col in ("dataset", "check", "level", "failing rows"):
        table.add_column(col)
    for c in failing:
        level = "dataset (blocking)" if c["blocking"] else c["level"]
        table.add_row(c["dataset"], c["name"], level, f"{c['failing_count']:,}")
    return table


def _indicator_table(state: dict) -> Table:
    latest = max((v["period"] for v in state["indicators"]), default=None)
    table = Table(title=f"indicators, {latest or 'no values'}")
    for col in ("indicator", "dimensions", "measure", "value", "unit"):
        table.add_column(col)
    for v in state["indicators"]:
        if v["period"] == latest:
            dims = ", ".join(f"{k}={x}" for k, x in v["dimensions"].items())
            table.add_row(v["indicator"], dims, v["measure"], f"{v['value']:.2f}", v["unit"])
    return table
