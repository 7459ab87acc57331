"""Steps that read the published warehouse.

The quality report (with the load's run record), the health score and the checklist.
Cross-hospital state goes to the state store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.checklist import ChecklistStatus, checklist_status
from upflux_etl.health import HealthScore, backfill, score_client
from upflux_etl.onboarding.records import read_connect_tests
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.pipeline.mining import read_mining
from upflux_etl.pipeline.run_records import run_record, state_store
from upflux_etl.reports import ReportInfo, render_quality_report
from upflux_etl.settings import Settings
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.files import WarehouseFiles, open_published

log = logging.getLogger("upflux.pipeline")


@contextmanager
def published(settings: Settings, client: ClientSpec) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the hospital's published warehouse (None before the first).

    Readable between a move of the hospital's folder and the next load (`parts.read_moved`).
    """
    files = WarehouseFiles(settings.client_dir(client.slug))
    with open_published(files, client.timezone) as con:
        if con is not None and parts.read_moved(con, files.root):
            log.warning(
                "%s: the hospital's folder moved to %s; the published views are read from there "
                "until the next load rewrites them",
                client.slug,
                files.root,
            )
        yield con


def quality_report_step(ctx: LoadContext) -> ReportInfo:
    """Write the load's quality report (Portuguese, one HTML file) and record the run with it."""
    out = ctx.files.reports / f"qualidade-{ctx.run_id[:8]}.html"
    with published(ctx.settings, ctx.client) as con, state_store(ctx.settings) as store:
        if con is None:
            raise RuntimeError(f"{ctx.client.slug}: no published warehouse to report on")
        report = render_quality_report(
            con,
            ctx.client,
            ctx.run_id,
            out,
            canonical=ctx.catalog.canonical,
            indicators=ctx.catalog.indicators,
            mining=read_mining(ctx.settings, ctx.client, ctx.run_id),
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
        return checklist_status(
            client,
            store,
            con,
            catalog.rounds,
            connect_tests=read_connect_tests(settings, client.slug),
        )
