"""Steps that read the published warehouse: the run record, the quality report, the health
score and the checklist. Cross-hospital state goes to the state store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.checklist import ChecklistStatus, checklist_status
from upflux_etl.health import HealthScore, backfill, score_client
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.reports import ReportInfo, render_quality_report
from upflux_etl.settings import Settings
from upflux_etl.state.records import RunRecord
from upflux_etl.state.store import StateStore
from upflux_etl.warehouse.files import WarehouseFiles, connect, first_row
from upflux_etl.warehouse.meta import LEDGER_COUNTS, read_checks, read_ledger


@contextmanager
def published(settings: Settings, client: ClientSpec) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the hospital's published warehouse (None before the first)."""
    path = WarehouseFiles(settings.client_dir(client.slug)).published
    if not path.exists():
        yield None
        return
    con = connect(path, client.timezone, read_only=True)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def state_store(settings: Settings) -> Iterator[StateStore]:
    store = StateStore(settings.state_url)
    try:
        yield store
    finally:
        store.dispose()


def run_record(
    con: duckdb.DuckDBPyConnection, client: ClientSpec, load_id: str, report: ReportInfo | None
) -> RunRecord:
    """The state store's summary of a published load (counts only, no personal data)."""
    started, mode = first_row(
        con, "select started_at, mode from meta.loads where load_id = ?", [load_id]
    )
    ledger = {
        dataset: {k: counts[k] for k in LEDGER_COUNTS}
        for dataset, counts in read_ledger(con, load_id).items()
    }
    fields = ("dataset", "name", "level", "blocking", "passed", "failing_count")
    checks = [{k: c[k] for k in fields} for c in read_checks(con, load_id)]
    indicators = dict(
        con.execute(
            "select indicator, count(*) from meta.indicator_values where load_id = ? group by 1",
            [load_id],
        ).fetchall()
    )
    held = any(v["held"] for v in ledger.values())
    return RunRecord(
        client=client.slug,
        load_id=load_id,
        run_id=load_id,
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        status="held" if held else "published",
        mode=mode,
        connection_ok=True,
        ledger=ledger,
        checks=checks,
        indicators=indicators,
        report_path=str(report.path) if report else None,
        report_sha256=report.sha256 if report else None,
    )


def quality_report_step(ctx: LoadContext) -> ReportInfo:
    """Write the load's quality report (Portuguese, one HTML file) and record the run with it."""
    out = ctx.files.reports / f"qualidade-{ctx.run_id[:8]}.html"
    with published(ctx.settings, ctx.client) as con, state_store(ctx.settings) as store:
        report = render_quality_report(
            con, ctx.client, ctx.run_id, out, canonical=ctx.catalog.canonical
        )
        store.record_run(run_record(con, ctx.client, ctx.run_id, report))
    return report


def health_step(settings: Settings, catalog: Catalog, client: ClientSpec) -> HealthScore:
    """Score the hospital today and keep the score and its next actions."""
    with published(settings, client) as con, state_store(settings) as store:
        return score_client(
            con, store, client, catalog.canonical, catalog.health, rounds=catalog.rounds
        )


def backfill_health(
    settings: Settings, catalog: Catalog, client: ClientSpec, days: int = 30
) -> list[HealthScore]:
    """One score per day for the last `days` days, each from what was known that day."""
    with published(settings, client) as con, state_store(settings) as store:
        return backfill(
            con,
            store,
            client,
            catalog.canonical,
            catalog.health,
            rounds=catalog.rounds,
            days=days,
        )


def checklist_step(settings: Settings, catalog: Catalog, client: ClientSpec) -> ChecklistStatus:
    """The Round 1-3 checklist as the pipeline's evidence and people's records say."""
    with published(settings, client) as con, state_store(settings) as store:
        return checklist_status(client, store, con, catalog.rounds)


def record_failed_run(
    settings: Settings, client: str, run_id: str, started_at: dt.datetime, full: bool
) -> None:
    """Keep a failed load in the state store (freshness and the checklist must see it)."""
    with state_store(settings) as store:
        store.record_run(
            RunRecord(
                client=client,
                load_id=run_id,
                run_id=run_id,
                started_at=started_at,
                finished_at=dt.datetime.now(dt.UTC),
                status="failed",
                mode="full" if full else "incremental",
                connection_ok=False,
            )
        )
