"""The cross-hospital state store: load summaries, health history, checklist and actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from upflux_etl.state.actions import change_status, clear_absent, upsert_action
from upflux_etl.state.engine import ensure_schema, make_engine, write_transaction
from upflux_etl.state.records import (
    ACTION_STATUSES,
    ActionRecord,
    ChecklistEvent,
    HealthRecord,
    RunRecord,
)
from upflux_etl.state.schema import build_tables, inserted_id

T = TypeVar("T")


class StateStore:
    """What spans hospitals, in SQLite (WAL) or PostgreSQL. Never personal data.

    Args:
        url: SQLAlchemy URL (`sqlite:///data/state.sqlite`, `postgresql://...`).
        schema: a PostgreSQL schema to keep the tables in (None: the default one).
    """

    def __init__(self, url: str, *, schema: str | None = None):
        self.url = url
        self.engine = make_engine(url)
        self.tables = build_tables(schema)
        ensure_schema(self.engine, self.tables)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> StateStore:
        """The store itself; leaving the block closes its connections."""
        return self

    def __exit__(self, *_exc: object) -> None:
        """Close every pooled connection."""
        self.dispose()

    # --- runs -----------------------------------------------------------------------------

    def record_run(self, run: RunRecord) -> None:
        """Insert a load's summary, or replace the one recorded for the same client and load."""
        t = self.tables.runs
        values = asdict(run)
        key = (t.c.client == run.client) & (t.c.load_id == run.load_id)

        def upsert(conn: sa.Connection) -> None:
            if conn.execute(t.update().where(key).values(**values)).rowcount == 0:
                conn.execute(t.insert().values(**values))

        self._write(upsert)

    def runs(self, client: str, limit: int | None = None) -> list[RunRecord]:
        """The client's loads, newest first."""
        t = self.tables.runs
        query = (
            sa.select(*[t.c[f.name] for f in fields(RunRecord)])
            .where(t.c.client == client)
            .order_by(t.c.started_at.desc(), t.c.id.desc())
            .limit(limit)
        )
        return [RunRecord(**row) for row in self._read(query)]

    def last_run(self, client: str) -> RunRecord | None:
        """The client's newest load, if any."""
        runs = self.runs(client, limit=1)
        return runs[0] if runs else None

    # --- health ---------------------------------------------------------------------------

    def record_health(self, record: HealthRecord) -> None:
        """Store a day's score; recomputing the same day replaces it."""
        t = self.tables.health_scores
        values = asdict(record)
        key = (t.c.client == record.client) & (t.c.as_of == record.as_of)

        def upsert(conn: sa.Connection) -> None:
            if conn.execute(t.update().where(key).values(**values)).rowcount == 0:
                conn.execute(t.insert().values(**values))

        self._write(upsert)

    def health_history(self, client: str, days: int | None = None) -> list[HealthRecord]:
        """The client's daily scores, oldest first.

        Args:
            client: the client slug.
            days: only the last `days` days ending at the newest recorded day (None: all).
        """
        t = self.tables.health_scores
        query = sa.select(*[t.c[f.name] for f in fields(HealthRecord)]).where(t.c.client == client)
        if days is not None:
            newest = self._read_scalar(
                sa.select(sa.func.max(t.c.as_of)).where(t.c.client == client)
            )
            if newest is None:
                return []
            query = query.where(t.c.as_of > newest - timedelta(days=days))
        return [HealthRecord(**row) for row in self._read(query.order_by(t.c.as_of))]

    def health_before(self, client: str, as_of: date) -> HealthRecord | None:
        """The newest score recorded for a day before `as_of` (the "previous" score)."""
        t = self.tables.health_scores
        query = (
            sa.select(*[t.c[f.name] for f in fields(HealthRecord)])
            .where((t.c.client == client) & (t.c.as_of < as_of))
            .order_by(t.c.as_of.desc())
            .limit(1)
        )
        rows = self._read(query)
        return HealthRecord(**rows[0]) if rows else None

    # --- checklist (append-only) ------------------------------------------------------------

    def record_checklist_event(
        self,
        client: str,
        item: str,
        status: str,
        recorded_by: str,
        *,
        note: str = "",
        details: dict[str, Any] | None = None,
        recorded_at: datetime | None = None,
    ) -> ChecklistEvent:
        """Append what a person states about a checklist item; a correction is a new event."""
        event = ChecklistEvent(
            id=None,
            client=client,
            item=item,
            status=status,
            recorded_by=recorded_by,
            recorded_at=recorded_at or datetime.now(UTC),
            note=note,
            details=dict(details or {}),
        )
        values = {k: v for k, v in asdict(event).items() if k != "id"}
        t = self.tables.checklist_events
        new_id = self._write(lambda conn: inserted_id(conn.execute(t.insert().values(**values))))
        return ChecklistEvent(**{**asdict(event), "id": new_id})

    def checklist_events(self, client: str, item: str | None = None) -> list[ChecklistEvent]:
        """Every event recorded for the client (optionally one item), in the order recorded."""
        t = self.tables.checklist_events
        query = sa.select(*[t.c[f.name] for f in fields(ChecklistEvent)]).where(
            t.c.client == client
        )
        if item is not None:
            query = query.where(t.c.item == item)
        return [
            ChecklistEvent(**row) for row in self._read(query.order_by(t.c.recorded_at, t.c.id))
        ]

    # --- actions ----------------------------------------------------------------------------

    def upsert_open_action(
        self,
        client: str,
        kind: str,
        reason: str,
        owner: str,
        due_date: date,
        *,
        updated_by: str = "health",
        as_of: date | None = None,
        once: bool = False,
    ) -> ActionRecord:
        """Open an action, or refresh the reason of the one already open for (client, kind).

        The open action keeps its owner and due date (the first detection sets the deadline).
        An action snoozed until after `as_of` is left alone, and opens again on its date. A done
        or dismissed action stays closed until its cause was seen gone on some day after it was
        closed (`clear_absent_actions`): only then does the cause returning open a new one.
        With `once`, any earlier action of the same kind means nothing new is opened.
        """
        return self._write(
            lambda conn: upsert_action(
                conn,
                self.tables.actions,
                client,
                kind,
                reason,
                owner,
                due_date,
                updated_by=updated_by,
                as_of=as_of or datetime.now(UTC).date(),
                once=once,
            )
        )

    def set_action_status(
        self,
        action_id: int,
        status: str,
        status_reason: str,
        updated_by: str,
        *,
        due_date: date | None = None,
        at: datetime | None = None,
    ) -> ActionRecord:
        """Mark an action done, snoozed (until `due_date`) or dismissed, saying why and who.

        Args:
            action_id: the action.
            status: done, snoozed, dismissed (or open again).
            status_reason: the note of a done action; why it is snoozed or dismissed.
            updated_by: who did it.
            due_date: the day a snoozed action wakes up.
            at: when (default: the clock).
        """
        if status not in ACTION_STATUSES:
            raise ValueError(f"status must be one of {', '.join(ACTION_STATUSES)}; got {status!r}")
        return self._write(
            lambda conn: change_status(
                conn,
                self.tables.actions,
                action_id,
                status,
                status_reason,
                updated_by,
                due_date,
                at,
            )
        )

    def clear_absent_actions(self, client: str, raised: set[str], as_of: date) -> list[int]:
        """Record that the causes of the client's closed actions not in `raised` were gone.

        Args:
            client: the client slug.
            raised: the kinds of the actions the day's score raised.
            as_of: the day scored.

        Returns:
            The ids of the closed actions whose cause was seen gone for the first time.
        """
        return self._write(
            lambda conn: clear_absent(conn, self.tables.actions, client, raised, as_of)
        )

    def action(self, action_id: int) -> ActionRecord:
        """One action by its id.

        Raises:
            KeyError: no action has that id.
        """
        t = self.tables.actions
        rows = self._read(
            sa.select(*[t.c[f.name] for f in fields(ActionRecord)]).where(t.c.id == action_id)
        )
        if not rows:
            raise KeyError(f"no action with id {action_id}")
        return ActionRecord(**rows[0])

    def actions(self, client: str, status: str | None = None) -> list[ActionRecord]:
        """The client's actions (optionally of one status), oldest first."""
        t = self.tables.actions
        query = sa.select(*[t.c[f.name] for f in fields(ActionRecord)]).where(t.c.client == client)
        if status is not None:
            query = query.where(t.c.status == status)
        return [ActionRecord(**row) for row in self._read(query.order_by(t.c.created_at, t.c.id))]

    # --- plumbing ---------------------------------------------------------------------------

    def _read(self, query: sa.Select) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def _read_scalar(self, query: sa.Select) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def _write(self, work: Callable[[sa.Connection], T]) -> T:
        # PostgreSQL lets two writers race to insert the same key: the loser retries and then
        # finds the winner's row. SQLite writers are serialised by BEGIN IMMEDIATE.
        for attempt in range(3):
            try:
                with write_transaction(self.engine) as conn:
                    return work(conn)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
