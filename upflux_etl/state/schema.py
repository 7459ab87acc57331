"""Tables of the state store, built per store so each can live in its own schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

# Bump together with a step in `ADDED_COLUMNS` (applied by `state.engine.ensure_schema`).
SCHEMA_VERSION = 3

# version -> (table, column, SQL type): columns added after version 1, each nullable, so an
# existing store gains them with a plain ALTER TABLE and keeps every row.
ADDED_COLUMNS: dict[int, tuple[str, str, str]] = {
    # The day an action's cause was last seen gone after it was closed (docs/DECISIONS.md).
    2: ("actions", "cleared_on", "DATE"),
    # A failed load's scrubbed one-line reason (upflux status, the CS radar, the alerts).
    3: ("runs", "error", "TEXT"),
}


class UtcDateTime(sa.types.TypeDecorator):
    """Timezone-aware timestamps stored as UTC on every backend (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store as UTC (naive on SQLite); refuse naive timestamps."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("state store timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as a timezone-aware UTC timestamp."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Tables:
    """The store's tables, bound to one MetaData."""

    metadata: sa.MetaData
    schema_version: sa.Table
    runs: sa.Table
    health_scores: sa.Table
    checklist_events: sa.Table
    actions: sa.Table


def build_tables(schema: str | None = None) -> Tables:
    """The state store's tables, in `schema` (None: the connection's default)."""
    md = sa.MetaData(schema=schema)
    return Tables(
        metadata=md,
        schema_version=sa.Table(
            "schema_version",
            md,
            sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("applied_at", UtcDateTime, nullable=False),
        ),
        runs=_runs(md),
        health_scores=_health_scores(md),
        checklist_events=_checklist_events(md),
        actions=_actions(md),
    )


def _runs(md: sa.MetaData) -> sa.Table:
    return sa.Table(
        "runs",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("load_id", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(200), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("connection_ok", sa.Boolean, nullable=False),
        sa.Column("ledger", sa.JSON, nullable=False),
        sa.Column("checks", sa.JSON, nullable=False),
        sa.Column("indicators", sa.JSON, nullable=False),
        sa.Column("report_path", sa.Text),
        sa.Column("report_sha256", sa.String(64)),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("client", "load_id", name="uq_runs_client_load"),
        sa.Index("ix_runs_client_started", "client", "started_at"),
    )


def _health_scores(md: sa.MetaData) -> sa.Table:
    return sa.Table(
        "health_scores",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("band", sa.String(20), nullable=False),
        sa.Column("factors", sa.JSON, nullable=False),
        sa.Column("previous_score", sa.Float),
        sa.Column("trend", sa.String(10)),
        sa.Column("next_actions", sa.JSON, nullable=False),
        sa.Column("computed_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("client", "as_of", name="uq_health_client_day"),
    )


def _checklist_events(md: sa.MetaData) -> sa.Table:
    return sa.Table(
        "checklist_events",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("item", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Index("ix_checklist_client", "client", "item"),
    )


def _actions(md: sa.MetaData) -> sa.Table:
    table = sa.Table(
        "actions",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("cleared_on", sa.Date),
    )
    # At most one open action per (client, kind): a nightly rerun cannot duplicate one.
    open_only = table.c.status == "open"
    sa.Index(
        "uq_actions_open_kind",
        table.c.client,
        table.c.kind,
        unique=True,
        sqlite_where=open_only,
        postgresql_where=open_only,
    )
    return table


def append_only_ddl(dialect: str, schema: str | None) -> list[str]:
    """Triggers that make `checklist_events` refuse UPDATE and DELETE."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS checklist_events_no_{verb.lower()} "
            f"BEFORE {verb} ON checklist_events "
            "BEGIN SELECT RAISE(ABORT, 'checklist_events is append-only'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    if dialect == "postgresql":
        prefix = f'"{schema}".' if schema else ""
        return [
            f"CREATE OR REPLACE FUNCTION {prefix}checklist_events_append_only() RETURNS trigger "
            "AS $$ BEGIN RAISE EXCEPTION 'checklist_events is append-only'; END $$ "
            "LANGUAGE plpgsql",
            "CREATE OR REPLACE TRIGGER checklist_events_append_only "
            f"BEFORE UPDATE OR DELETE ON {prefix}checklist_events "
            f"FOR EACH ROW EXECUTE FUNCTION {prefix}checklist_events_append_only()",
        ]
    return []


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key the database gave the row `result` inserted."""
    key = result.inserted_primary_key
    if key is None or key[0] is None:
        raise RuntimeError("the state store returned no id for the inserted row")
    return int(key[0])
