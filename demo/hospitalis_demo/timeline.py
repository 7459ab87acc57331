"""The simulated horizon: days, months, weekdays and holidays as epoch seconds.

Every timestamp of the simulation is an ``int64`` number of seconds since 1970-01-01 of the
hospital's wall clock (no zone): the ERP stores local wall time, so there is nothing to convert.
A missing timestamp is ``NAT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

DAY = 86_400
HOUR = 3_600
MINUTE = 60
NAT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Horizon:
    """The ERP's life: from go-live (first day) to the snapshot (the day after ``end``).

    Attributes:
        start: First day with records (go-live).
        end: Last simulated day (inclusive).
        t0: Epoch seconds of ``start`` 00:00.
        t_end: Epoch seconds of the snapshot, ``end`` + 1 day 00:00; nothing happens after it.
    """

    start: date
    end: date
    t0: int
    t_end: int

    @property
    def n_days(self) -> int:
        """Number of simulated days."""
        return (self.t_end - self.t0) // DAY

    def day_index(self, t: np.ndarray) -> np.ndarray:
        """Day number (0 = go-live day) of each timestamp."""
        return (np.asarray(t, dtype=np.int64) - self.t0) // DAY

    def month_starts(self) -> list[date]:
        """First day of every calendar month the horizon touches."""
        months, cursor = [], self.start.replace(day=1)
        while cursor <= self.end:
            months.append(cursor)
            cursor = (cursor + timedelta(days=32)).replace(day=1)
        return months

    def month_bounds(self) -> np.ndarray:
        """Epoch seconds of each month's first instant (clipped to ``t0``) plus ``t_end``."""
        starts = [max(epoch(m), self.t0) for m in self.month_starts()]
        return np.array([*starts, self.t_end], dtype=np.int64)

    def month_of(self, t: np.ndarray) -> np.ndarray:
        """Index into :meth:`month_starts` of each timestamp (any calendar month, clipped)."""
        firsts = np.array([epoch(m) for m in self.month_starts()], dtype=np.int64)
        idx = np.searchsorted(firsts, np.asarray(t, dtype=np.int64), side="right") - 1
        return np.clip(idx, 0, len(firsts) - 1)


def epoch(d: date) -> int:
    """Epoch seconds of a date's midnight."""
    return (d - date(1970, 1, 1)).days * DAY


def build_horizon(end_date: date, months: int) -> Horizon:
    """The horizon of ``months`` months ending on ``end_date`` (inclusive).

    Args:
        end_date: Last simulated day.
        months: Length in calendar months; the first day is ``end_date`` minus ``months``
            months plus one day (2026-10-31 and 12 give 2025-11-01).

    Returns:
        The horizon.
    """
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    year, month = divmod(end_date.year * 12 + end_date.month - 1 - months, 12)
    last_of_month = (date(year, month + 1, 28) + timedelta(days=4)).replace(day=1) - timedelta(1)
    start = date(year, month + 1, min(end_date.day, last_of_month.day)) + timedelta(days=1)
    return Horizon(start=start, end=end_date, t0=epoch(start), t_end=epoch(end_date) + DAY)


def weekday(t: np.ndarray) -> np.ndarray:
    """Weekday (Monday = 0) of each timestamp; 1970-01-01 was a Thursday."""
    return ((np.asarray(t, dtype=np.int64) // DAY) + 3) % 7


def nudge_midnight(t: np.ndarray) -> np.ndarray:
    """Move timestamps that fall exactly on midnight 7 s later.

    The census counts who is present at midnight; keeping simulated events off the exact
    instant makes every indicator independent of ``<`` versus ``<=`` at the boundary.
    """
    t = np.asarray(t, dtype=np.int64)
    return np.where((t != NAT) & (t % DAY == 0), t + 7, t)


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def holidays(horizon: Horizon) -> np.ndarray:
    """Day indices of Brazilian national holidays (and Carnival) inside the horizon."""
    fixed = ((1, 1), (4, 21), (5, 1), (9, 7), (10, 12), (11, 2), (11, 15), (11, 20), (12, 25))
    days: list[date] = []
    for year in range(horizon.start.year, horizon.end.year + 1):
        days += [date(year, m, d) for m, d in fixed]
        easter = _easter(year)
        days += [easter + timedelta(days=k) for k in (-48, -47, -2, 60)]
    idx = [(d - horizon.start).days for d in days if horizon.start <= d <= horizon.end]
    return np.array(sorted(idx), dtype=np.int64)


def working_days(horizon: Horizon, saturday: float = 0.0) -> np.ndarray:
    """Relative activity of each day for scheduled work.

    1 on weekdays, ``saturday`` on Saturdays, 0 on Sundays and holidays.
    """
    day_t = horizon.t0 + np.arange(horizon.n_days, dtype=np.int64) * DAY
    wd = weekday(day_t)
    level = np.where(wd < 5, 1.0, np.where(wd == 5, saturday, 0.0))
    level[holidays(horizon)] = 0.0
    return level


def season(horizon: Horizon) -> np.ndarray:
    """Respiratory-season factor of each day: southern winter (June-August) is busier."""
    day_t = horizon.t0 + np.arange(horizon.n_days, dtype=np.int64) * DAY
    month = day_t.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    factor = np.ones(len(month))
    factor[np.isin(month, (6, 7, 8))] = 1.15
    factor[np.isin(month, (5, 9))] = 1.06
    factor[np.isin(month, (12, 1))] = 0.93
    return factor
