"""Dagster's instance home for `upflux` and `dagster dev`.

No Dagster import: `upflux ui` starts fast.
"""

from __future__ import annotations

import os
from pathlib import Path

from upflux_etl.settings import Settings

DAGSTER_YAML = """\
# Written by upflux: local instance storage under data/dagster (see docs/DECISIONS.md).
python_logs:
  managed_python_loggers: [upflux]
  python_log_level: INFO
# One load at a time per hospital (a hospital's warehouse has one writer): every asset of a
# hospital is in the pool upflux_<hospital>, judged per run, so this holds for the nightly job
# and for anything materialized from the UI alike.
concurrency:
  pools:
    granularity: run
    default_limit: 1
telemetry:
  enabled: false
"""

_RELAXED = False  # relax_local_event_log_sync ran in this process


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME if set, else `data/dagster` (created with the instance config)."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.data_dir / "dagster")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home


def configures_storage(home: str | Path) -> bool:
    """Whether the instance's dagster.yaml names its own storage (e.g. PostgreSQL)."""
    import yaml

    config = Path(home) / "dagster.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8")) if config.is_file() else None
    keys = ("storage", "event_log_storage", "run_storage", "schedule_storage")
    return isinstance(data, dict) and any(k in data for k in keys)


def relax_local_event_log_sync() -> None:
    """SQLite databases under DAGSTER_HOME (the local instance) commit without an fsync each.

    Dagster's SQLite event log opens a connection and commits once per event (a load stores
    ~800 events: step events, asset checks, our log lines); with SQLite's default
    `synchronous=FULL` every commit waits for the disk (10 ms each measured here, 1.3 ms with
    `NORMAL`). In WAL mode, which Dagster sets, `NORMAL` keeps the database consistent after a
    crash; only the last events may be lost on power loss (the warehouse never depends on them:
    its own publication is fsynced). Production instances on PostgreSQL are untouched.
    Installed once per process; other SQLite files (the state store) keep their settings.
    """
    global _RELAXED
    if _RELAXED:
        return
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _relax(dbapi_connection, _record) -> None:
        home = os.environ.get("DAGSTER_HOME")
        if not home or not isinstance(dbapi_connection, sqlite3.Connection):
            return
        rows = dbapi_connection.execute("pragma database_list").fetchall()
        main = next((Path(r[2]) for r in rows if r[1] == "main" and r[2]), None)
        if main is not None and main.resolve().is_relative_to(Path(home).resolve()):
            dbapi_connection.execute("pragma synchronous = normal")

    _RELAXED = True
