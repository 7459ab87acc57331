"""The machine-readable state of a hospital's last published load (`upflux status --json`)."""

from __future__ import annotations

import json

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.indicators.compute import latest_values
from upflux_etl.pipeline.after import checklist_step, state_store
from upflux_etl.settings import Settings
from upflux_etl.warehouse.files import WarehouseFiles, connect, first_row
from upflux_etl.warehouse.meta import read_checks, read_ledger


def load_status(settings: Settings, client: ClientSpec, catalog: Catalog) -> dict:
    """Ledger per dataset, every check and indicator value of the last published load, with
    the quality report, the health score (and its history) and the checklist."""
    status = _warehouse_status(settings, client)
    with state_store(settings) as store:
        run = store.runs(client.slug, limit=1)
        history = store.health_history(client.slug, days=30)
    if run:
        status["report"] = {"path": run[0].report_path, "report_id": run[0].report_sha256}
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


def _warehouse_status(settings: Settings, client: ClientSpec) -> dict:
    files = WarehouseFiles(settings.client_dir(client.slug))
    status: dict = {
        "client": client.slug,
        "name": client.name,
        "timezone": client.timezone,
        "warehouse": str(files.published),
        "load": None,
    }
    if not files.published.exists():
        return status
    con = connect(files.published, client.timezone, read_only=True)
    try:
        row = first_row(
            con,
            "select load_id, mode, started_at, finished_at, status from meta.loads "
            "where status = 'published' order by finished_at desc limit 1",
        )
        if not row:
            return status
        load_id = row[0]
        status["load"] = {
            "load_id": load_id,
            "mode": row[1],
            "started_at": row[2].isoformat(),
            "finished_at": row[3].isoformat(),
            "status": row[4],
        }
        status["datasets"] = _ledger(con, load_id)
        status["checks"] = read_checks(con, load_id)
        status["indicators"] = [
            {**v, "dimensions": json.loads(v["dimensions"])} for v in latest_values(con, load_id)
        ]
    finally:
        con.close()
    return status


def _ledger(con, load_id: str) -> dict:
    return {
        dataset: {
            **row,
            "balanced": row["extracted"] == row["published"] + row["quarantined"] + row["held"],
        }
        for dataset, row in read_ledger(con, load_id).items()
    }
