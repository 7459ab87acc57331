"""What the health score is computed from: plain data, gathered as of one day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from upflux_etl.checklist.status import ChecklistStatus
from upflux_etl.state.records import RunRecord


@dataclass(frozen=True)
class DatasetFlow:
    """Daily volume of one ERP dataset against the same weekdays of earlier weeks.

    Attributes:
        dataset: the canonical dataset.
        days: the judged days, oldest first.
        actual: rows per judged day (by the dataset's event column, in the hospital's zone).
        expected: per judged day, the mean of the same weekday in the baseline weeks.
    """

    dataset: str
    days: tuple[date, ...]
    actual: tuple[int, ...]
    expected: tuple[float, ...]


@dataclass(frozen=True)
class UsageInputs:
    """Platform modules used in the usage window (None in HealthInputs: no usage data yet)."""

    modules_used: frozenset[str]
    window_start: date
    window_end: date


@dataclass(frozen=True)
class HealthInputs:
    """Everything known about a hospital as of `reference_at` (never later data).

    Attributes:
        client: the client slug.
        as_of: the day scored.
        reference_at: the instant "as of" (end of the day in the hospital's zone, or now).
        zone: the hospital's IANA zone, for the texts.
        segment: small, professional or enterprise.
        cs_owner: the client's CS owner ("" when the client file names none).
        runs: loads ended by `reference_at`, newest first.
        flows: ERP datasets with an event column and a table in the warehouse.
        usage: platform usage, or None when there is none up to the day.
        checklist: the checklist as of the instant, or None when nothing happened yet.
    """

    client: str
    as_of: date
    reference_at: datetime
    zone: str
    segment: str = "professional"
    cs_owner: str = ""
    runs: tuple[RunRecord, ...] = ()
    flows: tuple[DatasetFlow, ...] = ()
    usage: UsageInputs | None = None
    checklist: ChecklistStatus | None = None
