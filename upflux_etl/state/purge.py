"""A hospital's rows leave the state store at contract end; one audit line stays.

`purges` (created on first use) keeps who purged which client, when, and how many rows and
files went: never personal data. `checklist_events` is append-only by trigger; the purge lifts
the trigger for its own transaction only (SQLite: dropped and re-created; PostgreSQL: disabled
and enabled), so every other writer still meets it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from upflux_etl.state.engine import write_transaction
from upflux_etl.state.schema import UtcDateTime, append_only_ddl
from upflux_etl.state.store import StateStore

CLIENT_TABLES = ("runs", "health_scores", "actions", "checklist_events")


def purges_table(store: StateStore) -> sa.Table:
    """The audit table of purges, bound to the store's metadata."""
    md = store.tables.metadata
    name = f"{md.schema}.purges" if md.schema else "purges"
    if name in md.tables:
        return md.tables[name]
    return sa.Table(
        "purges",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("purged_at", UtcDateTime, nullable=False),
        sa.Column("purged_by", sa.String(200), nullable=False),
        sa.Column("what", sa.JSON, nullable=False),
    )


def purge_client_rows(
    store: StateStore, client: str, *, by: str, at: dt.datetime, what: dict[str, Any]
) -> dict[str, int]:
    """Delete every state-store row of `client` and add the audit line; rows deleted per table."""
    table = purges_table(store)
    dialect = store.engine.dialect.name
    schema = store.tables.metadata.schema
    prefix = f'"{schema}".' if schema else ""
    deleted: dict[str, int] = {}
    with write_transaction(store.engine) as conn:
        table.create(conn, checkfirst=True)
        _lift_append_only(conn, dialect, prefix)
        for name in CLIENT_TABLES:
            t = getattr(store.tables, name)
            deleted[name] = conn.execute(t.delete().where(t.c.client == client)).rowcount
        _restore_append_only(conn, dialect, prefix, schema)
        conn.execute(
            table.insert().values(
                client=client,
                purged_at=at,
                purged_by=by,
                what={**what, "state_rows": deleted},
            )
        )
    return deleted


def purges(store: StateStore, client: str | None = None) -> list[dict[str, Any]]:
    """The audit lines (every client, or one), oldest first."""
    table = purges_table(store)
    with write_transaction(store.engine) as conn:
        table.create(conn, checkfirst=True)
    query = sa.select(table).order_by(table.c.id)
    if client is not None:
        query = query.where(table.c.client == client)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _lift_append_only(conn: sa.Connection, dialect: str, prefix: str) -> None:
    if dialect == "sqlite":
        for verb in ("update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS checklist_events_no_{verb}")
    elif dialect == "postgresql":
        conn.exec_driver_sql(
            f"ALTER TABLE {prefix}checklist_events DISABLE TRIGGER checklist_events_append_only"
        )


def _restore_append_only(
    conn: sa.Connection, dialect: str, prefix: str, schema: str | None
) -> None:
    if dialect == "sqlite":
        for statement in append_only_ddl(dialect, schema):
            conn.exec_driver_sql(statement)
    elif dialect == "postgresql":
        conn.exec_driver_sql(
            f"ALTER TABLE {prefix}checklist_events ENABLE TRIGGER checklist_events_append_only"
        )
