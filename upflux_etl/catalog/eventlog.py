"""The event log's query (`assets/eventlog/encounter_events.sql`)."""

from __future__ import annotations

from pathlib import Path

from upflux_etl.catalog.errors import ConfigError

EVENT_LOG_SQL = Path("assets") / "eventlog" / "encounter_events.sql"


def read_event_log_sql(root: Path) -> str:
    """The query that turns a published warehouse into its event log.

    Raises:
        ConfigError: the file is missing.
    """
    path = root / EVENT_LOG_SQL
    if not path.is_file():
        raise ConfigError(path, "", "the event log's query is missing")
    return path.read_text(encoding="utf-8")
