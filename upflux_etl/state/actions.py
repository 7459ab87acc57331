"""Statements on the `actions` table, run inside the store's write transactions."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime

import sqlalchemy as sa

from upflux_etl.state.records import ActionRecord
from upflux_etl.state.schema import inserted_id


def _select(table: sa.Table) -> sa.Select:
    return sa.select(*[table.c[f.name] for f in fields(ActionRecord)])


def _fetch(conn: sa.Connection, table: sa.Table, action_id: int) -> ActionRecord:
    row = conn.execute(_select(table).where(table.c.id == action_id)).mappings().first()
    if row is None:
        raise KeyError(f"no action with id {action_id}")
    return ActionRecord(**row)


def upsert_action(
    conn: sa.Connection,
    table: sa.Table,
    client: str,
    kind: str,
    reason: str,
    owner: str,
    due_date: date,
    *,
    updated_by: str,
    as_of: date,
    once: bool,
) -> ActionRecord:
    """Refresh the live action of (client, kind), or open one.

    See `StateStore.upsert_open_action` for the rules.
    """
    latest = (
        conn.execute(
            _select(table)
            .where((table.c.client == client) & (table.c.kind == kind))
            .order_by(table.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    now = datetime.now(UTC)
    if latest is not None:
        current = ActionRecord(**latest)
        if current.status == "open":
            conn.execute(
                table.update()
                .where(table.c.id == current.id)
                .values(reason=reason, updated_at=now, updated_by=updated_by)
            )
            return _fetch(conn, table, latest["id"])
        if (current.status == "snoozed" and current.due_date > as_of) or once:
            return current
    values = {
        "client": client,
        "kind": kind,
        "reason": reason,
        "owner": owner,
        "due_date": due_date,
        "status": "open",
        "status_reason": "",
        "created_at": now,
        "updated_at": now,
        "updated_by": updated_by,
    }
    new_id = inserted_id(conn.execute(table.insert().values(**values)))
    return _fetch(conn, table, new_id)


def change_status(
    conn: sa.Connection,
    table: sa.Table,
    action_id: int,
    status: str,
    status_reason: str,
    updated_by: str,
    due_date: date | None,
) -> ActionRecord:
    """Move an action to `status`; snoozing needs a date, snoozing and dismissing a reason."""
    if status in ("snoozed", "dismissed") and not status_reason.strip():
        raise ValueError(f"an action is {status} only with a reason")
    if status == "snoozed" and due_date is None:
        raise ValueError("a snoozed action needs the date it wakes up (due_date)")
    if not updated_by.strip():
        raise ValueError("updated_by must name who changed the action")
    current = _fetch(conn, table, action_id)
    values = {
        "status": status,
        "status_reason": status_reason,
        "updated_by": updated_by,
        "updated_at": datetime.now(UTC),
        "due_date": due_date or current.due_date,
    }
    conn.execute(table.update().where(table.c.id == action_id).values(**values))
    return _fetch(conn, table, action_id)
