"""The state store's record of each load: counts only, never personal data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.reports import ReportInfo
from upflux_etl.settings import Settings
from upflux_etl.state.records import RUN_CHECK_FIELDS, RunRecord
from upflux_etl.state.store import StateStore
from upflux_etl.warehouse.meta.checks import read_checks
from upflux_etl.warehouse.meta.indicators import indicator_counts
from upflux_etl.warehouse.meta.ledger import LEDGER_COUNTS, read_ledger
from upflux_etl.warehouse.meta.loads import read_header
from upflux_etl.warehouse.meta.reconciliation import read_reconciliation


@contextmanager
def state_store(settings: Settings) -> Iterator[StateStore]:
    """The cross-hospital state store, disposed of on exit."""
    store = StateStore(settings.state_url)
    try:
        yield store
    finally:
        store.dispose()


def run_record(
    con: duckdb.DuckDBPyConnection, client: ClientSpec, load_id: str, report: ReportInfo | None
) -> RunRecord:
    """The state store's summary of a published load (counts only, no personal data)."""
    header = read_header(con, load_id)
    if header.started_at is None:
        raise ValueError(f"load {load_id!r} has no start time in meta.loads")
    ledger = {
        dataset: {k: counts[k] for k in LEDGER_COUNTS}
        for dataset, counts in read_ledger(con, load_id).items()
    }
    for dataset, figures in read_reconciliation(con, load_id).items():
        ledger.setdefault(dataset, {}).update(figures.ledger_counts())
    held = any(v["held"] for v in ledger.values())
    return RunRecord(
        client=client.slug,
        load_id=load_id,
        run_id=load_id,
        started_at=header.started_at,
        finished_at=dt.datetime.now(dt.UTC),
        status="held" if held else "published",
        mode=header.mode,
        connection_ok=True,
        ledger=ledger,
        checks=[c.as_dict(RUN_CHECK_FIELDS) for c in read_checks(con, load_id)],
        indicators=indicator_counts(con, load_id),
        report_path=str(report.path) if report else None,
        report_sha256=report.sha256 if report else None,
    )
