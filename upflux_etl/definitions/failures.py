"""A failed run, read from Dagster's events: its failing step and why, recorded and alerted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
from dagster_shared.error import SerializableErrorInfo

from upflux_etl.alerts.message import scrub
from upflux_etl.settings import Settings
from upflux_etl.state.records import RunRecord
from upflux_etl.state.store import StateStore


@dataclass(frozen=True)
class RunFailure:
    """Where and why a run failed (the reason scrubbed: it goes to the state store and alerts)."""

    step: str
    reason: str

    @property
    def summary(self) -> str:
        """`step: reason`, the one line `upflux status` and the CS radar show."""
        return f"{self.step}: {self.reason}" if self.step else self.reason


def _root_cause(error: SerializableErrorInfo | None) -> SerializableErrorInfo | None:
    while error is not None and error.cause is not None:
        error = error.cause
    return error


def run_failure(
    step_failures: Sequence[dg.DagsterEvent], run_failure_event: dg.DagsterEvent | None
) -> RunFailure:
    """The first failing step and its root error, or the run's own failure message.

    Args:
        step_failures: the run's STEP_FAILURE events.
        run_failure_event: its RUN_FAILURE event (None when there is none, in process).
    """
    for event in step_failures:
        error = _root_cause(event.step_failure_data.error)
        if error is not None:
            return RunFailure(event.step_key or "", scrub(error.message))
    if run_failure_event is None:
        return RunFailure("", "the run failed")
    error = _root_cause(getattr(run_failure_event.event_specific_data, "error", None))
    return RunFailure("", scrub(error.message if error else run_failure_event.message or ""))


def record_failure(
    settings: Settings,
    client: str,
    run_id: str,
    started_at: dt.datetime,
    full: bool,
    failure: RunFailure,
) -> None:
    """Keep a failed load and its reason in the state store (status, health, the CS radar)."""
    store = StateStore(settings.state_url)
    try:
        store.record_run(
            RunRecord(
                client=client,
                load_id=run_id,
                run_id=run_id,
                started_at=started_at,
                finished_at=dt.datetime.now(dt.UTC),
                status="failed",
                mode="full" if full else "incremental",
                connection_ok=False,
                error=failure.summary,
            )
        )
    finally:
        store.dispose()
