"""A hospital's recent loads (`upflux status`'s `recent_loads`) and who started each one.

Read from the Dagster instance the CLI and the UI share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from upflux_etl.settings import Settings

LAUNCHED_BY_TAG = "upflux/launched_by"
USER_TAG = "upflux/user"
RECENT_LOADS = 10


def launched_by(tags: Mapping[str, str]) -> str:
    """`cli`, `schedule`, `sensor`, `backfill`, `ui` or `ui/<user>`, from a run's tags.

    `upflux run` tags its runs; Dagster tags the schedule's, the sensors' and the backfills'
    runs; a run with none of these came from the UI (Dagster+ adds the user; the open-source
    UI has no sign-on, so no user), a re-execution included.
    """
    if tags.get(LAUNCHED_BY_TAG):
        user = tags.get(USER_TAG)
        return f"{tags[LAUNCHED_BY_TAG]}/{user}" if user else tags[LAUNCHED_BY_TAG]
    if tags.get("dagster/schedule_name"):
        return "schedule"
    if tags.get("dagster/sensor_name"):
        return "sensor"
    if tags.get("dagster/backfill"):
        return "backfill"
    user = tags.get("dagster/user") or tags.get("user")
    return f"ui/{user}" if user else "ui"


def recent_loads(settings: Settings, slug: str, limit: int = RECENT_LOADS) -> list[dict]:
    """The hospital's last `limit` runs, newest first: id, status, started, ended, launched_by.

    Read from the Dagster instance the CLI and the UI share (DAGSTER_HOME, else
    `data/dagster`); empty when it holds none. Queued and running loads are listed too.
    """
    import dagster as dg

    from upflux_etl.definitions.run_tags import CLIENT_TAG
    from upflux_etl.instance import dagster_home

    with dg.DagsterInstance.from_config(str(dagster_home(settings))) as instance:
        records = instance.get_run_records(
            filters=dg.RunsFilter(tags={CLIENT_TAG: slug}), limit=limit
        )
        return [
            {
                "run_id": r.dagster_run.run_id,
                "job": r.dagster_run.job_name,
                "status": r.dagster_run.status.value.lower(),
                "started_at": _iso(r.start_time),
                "ended_at": _iso(r.end_time),
                "launched_by": launched_by(r.dagster_run.tags),
                "parent_run_id": r.dagster_run.tags.get("dagster/parent_run_id"),
            }
            for r in records
        ]


def _iso(timestamp: float | None) -> str | None:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat() if timestamp else None
