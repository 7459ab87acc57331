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
        if current.status == "snoozed":
            if current.due_date > as_of:
                return current
            # Awake: the same action opens again, due the day it woke up.
            conn.execute(
                table.update()
                .where(table.c.id == current.id)
                .values(status="open", reason=reason, updated_at=now, updated_by=updated_by)
            )
            return _fetch(conn, table, latest["id"])
        if once or current.cleared_on is None:
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
    at: datetime | None = None,
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
        "updated_at": at or datetime.now(UTC),
        "due_date": due_date or current.due_date,
        "cleared_on": None,
    }
    conn.execute(table.update().where(table.c.id == action_id).values(**values))
    return _fetch(conn, table, action_id)


def clear_absent(
    conn: sa.Connection, table: sa.Table, client: str, raised: set[str], as_of: date
) -> list[int]:
    """Note `as_of` on the closed actions whose cause was not seen that day.

    Only the newest action of each kind counts, and only a done or dismissed one that has not
    been cleared yet: from then on, the cause coming back opens a new action.

    Returns:
        The ids of the actions cleared.
    """
    rows = conn.execute(
        _select(table).where(table.c.client == client).order_by(table.c.id)
    ).mappings()
    newest = {row["kind"]: ActionRecord(**row) for row in rows}
    cleared = [
        a.id
        for a in newest.values()
        if a.status in ("done", "dismissed")
        and a.cleared_on is None
        and a.kind not in raised
        and a.id is not None
        and a.updated_at.date() <= as_of
    ]
    if cleared:
        conn.execute(table.update().where(table.c.id.in_(cleared)).values(cleared_on=as_of))
    return cleared
