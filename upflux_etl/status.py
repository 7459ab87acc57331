"""The machine-readable state of a hospital's last published load (`upflux status --json`)."""

from __future__ import annotations

import json

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.indicators.completeness import completeness, indicator_set_status
from upflux_etl.pipeline.reporting import checklist_step, published
from upflux_etl.pipeline.run_records import state_store
from upflux_etl.run_history import recent_loads
from upflux_etl.settings import Settings
from upflux_etl.state.records import RunRecord
from upflux_etl.warehouse.files import WarehouseFiles
from upflux_etl.warehouse.meta.checks import read_checks
from upflux_etl.warehouse.meta.indicators import read_indicator_coverage, read_indicator_values
from upflux_etl.warehouse.meta.ledger import read_ledger
from upflux_etl.warehouse.meta.loads import LoadHeader, last_published
from upflux_etl.warehouse.meta.reconciliation import read_reconciliation
from upflux_etl.warehouse.meta.source_sessions import read_dba_view, read_retries
from upflux_etl.warehouse.quarantine_open import open_counts

# How far back `upflux status` looks for the last load that wrote a quality report.
RUNS_LOOKED_AT = 30

# The JSON shape of one check in `upflux status --json`.
STATUS_CHECK_FIELDS = (
    "dataset",
    "name",
    "level",
    "blocking",
    "passed",
    "failing_count",
    "element_count",
    "error",
    "description",
    "fix_hint",
    "status",
    "observed",
    "expected",
)


def read_status(settings: Settings, client: ClientSpec, catalog: Catalog) -> dict:
    """The status of the last published load.

    Ledger per dataset, every check and indicator value, with the quality report, the health
    score (and its history), the checklist and the recent loads (whoever started them).
    """
    status = _warehouse_status(settings, client, catalog)
    status["recent_loads"] = recent_loads(settings, client.slug)
    with state_store(settings) as store:
        runs = store.runs(client.slug, limit=RUNS_LOOKED_AT)
        history = store.health_history(client.slug, days=30)
    if runs:
        status["last_run"] = _last_run(runs[0])
    reported = next((r for r in runs if r.report_path), None)
    if reported:
        status["report"] = {"path": reported.report_path, "report_id": reported.report_sha256}
    if history:
        last = history[-1]
        status["health"] = {
            "as_of": last.as_of.isoformat(),
            "score": last.score,
            "band": last.band,
            "trend": last.trend,
            "previous_score": last.previous_score,
            "factors": last.factors,
            "next_actions": last.next_actions,
            "history": [
                {"as_of": h.as_of.isoformat(), "score": h.score, "band": h.band} for h in history
            ],
        }
    checklist = checklist_step(settings, catalog, client)
    status["checklist"] = {
        "done": checklist.done,
        "total": checklist.total,
        "items": [
            {
                "id": i.id,
                "round": i.round,
                "title": i.title,
                "status": i.status,
                "evidence": i.evidence,
                "recorded_by": i.recorded_by,
                "recorded_at": i.recorded_at.isoformat() if i.recorded_at else None,
                "done_on": i.done_on.isoformat() if i.done_on else None,
                "note": i.note,
            }
            for i in checklist.items
        ],
    }
    return status


def _last_run(run: RunRecord) -> dict:
    """The newest load, whatever its outcome: a failed one carries its step and reason."""
    return {
        "load_id": run.load_id,
        "status": run.status,
        "mode": run.mode,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "error": run.error,
    }


def _warehouse_status(settings: Settings, client: ClientSpec, catalog: Catalog) -> dict:
    files = WarehouseFiles(settings.client_dir(client.slug))
    status: dict = {
        "client": client.slug,
        "name": client.name,
        "timezone": client.timezone,
        "warehouse": str(files.published),
        "load": None,
    }
    with published(settings, client) as con:
        if con is None:
            return status
        header = last_published(con)
        if header is None:
            return status
        load_id = header.load_id
        status["load"] = {
            "load_id": load_id,
            "mode": header.mode,
            "started_at": header.started_at.isoformat() if header.started_at else None,
            "finished_at": header.finished_at.isoformat() if header.finished_at else None,
            "duration_s": _duration_s(header),
            "status": header.status,
        }
        status["datasets"] = _ledger(con, load_id)
        opened = open_counts(con)
        for dataset, row in status["datasets"].items():
            # Open now, whatever load quarantined them (the ledger counts this load's only).
            row["quarantine_open"] = opened.get(dataset, 0)
        for dataset, figures in read_reconciliation(con, load_id).items():
            status["datasets"].setdefault(dataset, {})["reconciliation"] = figures.as_dict()
        status["checks"] = [c.as_dict(STATUS_CHECK_FIELDS) for c in read_checks(con, load_id)]
        # What each source's DBA saw of the load, and the extractions it retried (and why).
        status["sources"] = read_dba_view(con, load_id)
        status["retries"] = read_retries(con, load_id)
        values = read_indicator_values(con, load_id)
        status["indicators"] = [{**v, "dimensions": json.loads(v["dimensions"])} for v in values]
        computed = {v["indicator"] for v in values}
        status["indicator_sets"] = [
            indicator_set_status(s, client.indicators, computed)
            for s in catalog.indicator_sets.values()
        ]
        status["indicator_completeness"] = [
            c.as_dict()
            for c in completeness(
                client.indicators, catalog.indicators, values, read_indicator_coverage(con, load_id)
            )
        ]
    return status


def _duration_s(header: LoadHeader) -> float | None:
    """The load's seconds from its start to its publication (None if either is unknown)."""
    if header.started_at is None or header.finished_at is None:
        return None
    return round((header.finished_at - header.started_at).total_seconds(), 3)


def _ledger(con, load_id: str) -> dict:
    return {
        dataset: {
            **row,
            "balanced": row["extracted"] == row["published"] + row["quarantined"] + row["held"],
        }
        for dataset, row in read_ledger(con, load_id).items()
    }
