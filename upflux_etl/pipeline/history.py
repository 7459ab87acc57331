"""A first historical load cut into periods: the periods, and each dataset's window in one.

`upflux run CLIENT --history` (upflux_etl/history.py) runs one load per period, each published
as its own load. A dataset whose canonical model names an `event_column` (a stream of events:
encounters, exams, billing...) is cut on its `incremental_column`: the first period is a full
load of [since, end), every later one an incremental load of [watermark, end), and its
watermark is moved to the period's end, where the next period (and, after the last, the
nightly incremental) starts. A dataset without one (master and reference data: patients,
beds, surgery rooms) is loaded whole by the first period and not read again by the others.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Literal

from upflux_etl.catalog.models import DatasetSpec

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")
_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class HistoryWindow:
    """One period of a historical load, as its run knows it (a run tag)."""

    since: str  # YYYY-MM-DD: the history's first day
    period: str  # month | quarter | year
    number: int  # 1-based
    total: int
    start: str  # YYYY-MM-DD, inclusive
    end: str  # YYYY-MM-DD, exclusive

    @property
    def first(self) -> bool:
        """Whether this is the history's first period (a full load of its window)."""
        return self.number == 1

    @property
    def last(self) -> bool:
        """Whether this is the history's last period (the nightly takes over after it)."""
        return self.number == self.total

    @property
    def label(self) -> str:
        """What the person running it reads, e.g. "período 3/24: 2024-03-01 a 2024-04-01"."""
        return f"período {self.number}/{self.total}: {self.start} a {self.end}"

    def to_tag(self) -> str:
        """The window as a run tag's value."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_tag(cls, value: str) -> HistoryWindow:
        """The window a run tag carries (see `to_tag`)."""
        return cls(**json.loads(value))


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the period `day` falls in (calendar months, quarters, years)."""
    months = _MONTHS[period]
    month = (day.month - 1) // months * months + 1
    return dt.date(day.year, month, 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def plan_periods(since: dt.date, period: str, until: dt.date) -> list[HistoryWindow]:
    """The periods of a history from `since` (inclusive) to `until` (exclusive).

    Periods follow the calendar (a history since 2024-03-15 by quarter starts with
    [2024-03-15, 2024-04-01)); the last one ends at `until`.

    Raises:
        ValueError: an unknown period, or `since` not before `until`.
    """
    if period not in _MONTHS:
        raise ValueError(f"period must be one of {', '.join(PERIOD_KINDS)}, not {period!r}")
    if since >= until:
        raise ValueError(f"since ({since}) must be before the end of the history ({until})")
    bounds = [since]
    nxt = _add_months(period_start(since, period), _MONTHS[period])
    while nxt < until:
        bounds.append(nxt)
        nxt = _add_months(nxt, _MONTHS[period])
    bounds.append(until)
    total = len(bounds) - 1
    return [
        HistoryWindow(
            since=since.isoformat(),
            period=period,
            number=i + 1,
            total=total,
            start=bounds[i].isoformat(),
            end=bounds[i + 1].isoformat(),
        )
        for i in range(total)
    ]


def is_windowed(spec: DatasetSpec) -> bool:
    """Whether a history cuts the dataset into periods (else: whole in the first period)."""
    return spec.event_column is not None


def bound(spec: DatasetSpec, day: str) -> str:
    """A period boundary in the format of the dataset's watermark (date or wall time)."""
    if spec.columns[spec.incremental_column].type == "date":
        return day
    return f"{day} 00:00:00"


@dataclass(frozen=True)
class Extraction:
    """What one period reads of one dataset: [after, before), or nothing (`empty`)."""

    after: str | None = None
    before: str | None = None
    empty: bool = False


def extraction(
    spec: DatasetSpec, window: HistoryWindow, watermark: str | None, *, full: bool
) -> Extraction:
    """The rows of `spec` the load of `window` extracts.

    A cut dataset reads from the period's start on a full load, else from its watermark (the
    previous period's end; earlier if a period held it), up to the period's end. A dataset
    loaded whole reads everything on the first period (or until its watermark exists: a held
    first period), nothing afterwards.
    """
    if not is_windowed(spec):
        return Extraction() if full or watermark is None else Extraction(empty=True)
    after = watermark if watermark is not None and not full else bound(spec, window.since)
    return Extraction(after=after, before=bound(spec, window.end))


def counted(spec: DatasetSpec, window: HistoryWindow) -> Extraction:
    """The source rows the warehouse should hold after `window`'s load: [since, end)."""
    if not is_windowed(spec):
        return Extraction()
    return Extraction(after=bound(spec, window.since), before=bound(spec, window.end))


def watermark_after(spec: DatasetSpec, window: HistoryWindow) -> str | None:
    """Where a cut dataset's next load starts after `window` (None: advance as usual)."""
    return bound(spec, window.end) if is_windowed(spec) else None
