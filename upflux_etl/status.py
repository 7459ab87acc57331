"""The machine-readable state of a hospital's last published load (`upflux status --json`)."""

from __future__ import annotations

import json

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.indicators.compute import latest_values
from upflux_etl.settings import Settings
from upflux_etl.warehouse.files import WarehouseFiles, connect, first_row


def load_status(settings: Settings, client: ClientSpec, catalog=None) -> dict:
    """Ledger per dataset, every check, indicator values of the last published load."""
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
        status["checks"] = _checks(con, load_id)
        status["indicators"] = [
            {**v, "dimensions": json.loads(v["dimensions"])} for v in latest_values(con, load_id)
        ]
    finally:
        con.close()
    return status


def _ledger(con, load_id: str) -> dict:
    rows = con.execute(
        "select dataset, extracted, published, quarantined, held, duration_s from meta.ledger "
        "where load_id = ? order by dataset",
        [load_id],
    ).fetchall()
    keys = ["extracted", "published", "quarantined", "held", "duration_s"]
    return {r[0]: {**dict(zip(keys, r[1:])), "balanced": r[1] == r[2] + r[3] + r[4]} for r in rows}


def _checks(con, load_id: str) -> list[dict]:
    rows = con.execute(
        "select dataset, check_name, level, blocking, passed, failing_count, element_count, error "
        "from meta.check_results where load_id = ? order by dataset, check_name",
        [load_id],
    ).fetchall()
    keys = [
        "dataset",
        "name",
        "level",
        "blocking",
        "passed",
        "failing_count",
        "element_count",
        "error",
    ]
    return [dict(zip(keys, r)) for r in rows]
