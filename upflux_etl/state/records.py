"""Rows of the cross-hospital state store, as plain frozen dataclasses (no personal data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

RUN_STATUSES = ("published", "failed", "held")
RUN_MODES = ("full", "incremental")
CHECKLIST_STATUSES = ("done", "not_done", "scheduled")
ACTION_STATUSES = ("open", "done", "snoozed", "dismissed")
TRENDS = ("up", "down", "flat")
# What a run record keeps of each check (`CheckResult.as_dict`): its JSON shape in the store.
RUN_CHECK_FIELDS = ("dataset", "name", "level", "blocking", "passed", "failing_count", "status")


def _require(value: Any, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")


def _require_aware(value: datetime | None, what: str) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (got a naive datetime)")


@dataclass(frozen=True)
class RunRecord:
    """One pipeline load of one hospital.

    Attributes:
        client: the client slug.
        load_id: the load's id in the warehouse's bookkeeping (the run id of the load).
        run_id: the orchestrator's run id.
        started_at: when the load started (timezone-aware).
        finished_at: when it ended (None while running).
        status: 'published', 'failed' or 'held'.
        mode: 'full' or 'incremental'.
        connection_ok: whether the source connection test passed.
        ledger: {dataset: {extracted, published, quarantined, held, source_count,
            warehouse_count}}: the load's ledger, then the reconciliation with the source
            (`source_count` less excluded patients; absent when the source was not counted).
        checks: one dict per check, keyed by `RUN_CHECK_FIELDS`.
        indicators: {indicator: number of values computed}.
        report_path: the quality report written for this load, if any.
        report_sha256: the report's id (see `upflux_etl.reports.report_id`).
        error: why a failed load failed: its failing step and a scrubbed one-line reason
            (no personal data, no secrets; `upflux_etl.alerts.message.scrub`).
    """

    client: str
    load_id: str
    run_id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    mode: str
    connection_ok: bool
    ledger: dict[str, dict[str, int]] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    indicators: dict[str, int] = field(default_factory=dict)
    report_path: str | None = None
    report_sha256: str | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        _require(self.status, RUN_STATUSES, "status")
        _require(self.mode, RUN_MODES, "mode")
        _require_aware(self.started_at, "started_at")
        _require_aware(self.finished_at, "finished_at")

    @property
    def ended_at(self) -> datetime:
        """When the load ended, or when it started if it has not ended."""
        return self.finished_at or self.started_at

    def unbalanced(self) -> list[str]:
        """Datasets whose ledger does not close: extracted != published + quarantined + held."""
        return [
            dataset
            for dataset, counts in sorted(self.ledger.items())
            if int(counts.get("extracted", 0))
            != sum(int(counts.get(k, 0)) for k in ("published", "quarantined", "held"))
        ]

    def unreconciled(self) -> list[str]:
        """Datasets the load does not prove equal to the source.

        Its ledger does not close, or the source's total (`source_count`, less excluded
        patients) differs from what the warehouse holds (`warehouse_count`), or the source was
        not counted (`source_count` missing: the count failed, or a record from before the
        reconciliation existed).
        """
        return sorted(
            {
                *self.unbalanced(),
                *(
                    dataset
                    for dataset, counts in self.ledger.items()
                    if counts.get("source_count") is None
                    or counts.get("source_count") != counts.get("warehouse_count")
                ),
            }
        )

    @property
    def reconciles(self) -> bool:
        """Every dataset's ledger closes and its warehouse count equals the source's."""
        return bool(self.ledger) and not self.unreconciled()

    def failing_blocking(self) -> list[dict[str, Any]]:
        """The checks that held data on this load: blocking failures and checks in error."""
        return [
            c
            for c in self.checks
            if c.get("status") == "error" or (c.get("blocking") and not c.get("passed"))
        ]


@dataclass(frozen=True)
class HealthRecord:
    """One hospital's health score for one day (unique per client and day)."""

    client: str
    as_of: date
    score: float
    band: str
    factors: dict[str, Any]
    previous_score: float | None
    trend: str | None
    next_actions: list[dict[str, Any]]
    computed_at: datetime

    def __post_init__(self) -> None:
        if self.trend is not None:
            _require(self.trend, TRENDS, "trend")
        _require_aware(self.computed_at, "computed_at")


@dataclass(frozen=True)
class ChecklistEvent:
    """One append-only statement by a person about a checklist item."""

    id: int | None
    client: str
    item: str
    status: str
    recorded_by: str
    recorded_at: datetime
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require(self.status, CHECKLIST_STATUSES, "status")
        _require_aware(self.recorded_at, "recorded_at")
        if not self.recorded_by.strip():
            raise ValueError("recorded_by must name who recorded the event")


@dataclass(frozen=True)
class ActionRecord:
    """A next action for a hospital: open until someone marks it done, snoozes or dismisses it.

    Attributes:
        status_reason: the note of a done action, why it was snoozed or dismissed.
        updated_by: who changed it last (who did it, for a done action); updated_at: when.
        due_date: when it is due; for a snoozed action, the day it wakes up.
        cleared_on: after it was closed, the first day its cause was no longer seen (a closed
            action comes back only when its cause returns after such a day).
    """

    id: int | None
    client: str
    kind: str
    reason: str
    owner: str
    due_date: date
    status: str
    status_reason: str
    created_at: datetime
    updated_at: datetime
    updated_by: str
    cleared_on: date | None = None

    def __post_init__(self) -> None:
        _require(self.status, ACTION_STATUSES, "status")
