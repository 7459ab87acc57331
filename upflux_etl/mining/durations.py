"""Case durations and throughput times between two activities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from upflux_etl.mining.eventlog import EventLog

NS = 1_000_000_000


@dataclass(frozen=True)
class DurationStats:
    """Seconds: how many, mean, median (p50), p90, min and max."""

    count: int
    mean: float
    p50: float
    p90: float
    min: float
    max: float


def case_durations(log: EventLog) -> np.ndarray:
    """Seconds from each case's first event to its last, per case (as in `EventLog.cases`)."""
    first = log.timestamp[log.offsets[:-1]]
    last = log.timestamp[log.offsets[1:] - 1]
    return (last - first) / NS


def throughput_times(log: EventLog, start: str, end: str) -> np.ndarray:
    """Seconds from a case's first `start` to the first `end` after it, per such case.

    Cases without `start`, or with no `end` after it, have no throughput time (left out).
    """
    if start not in log.activities or end not in log.activities:
        return np.zeros(0)
    a, b = log.activities.index(start), log.activities.index(end)
    n = len(log.activity)
    position = np.arange(n)
    first_a = _first_per_case(log, log.activity == a, position)
    has_a = first_a >= 0
    # An `end` counts only after the case's first `start` (the next one, when they are equal).
    after = (log.activity == b) & has_a[log.case] & (position > first_a[log.case])
    first_b = _first_per_case(log, after, position)
    done = has_a & (first_b >= 0)
    return (log.timestamp[first_b[done]] - log.timestamp[first_a[done]]) / NS


def _first_per_case(log: EventLog, mask: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Per case, the position of its first event where `mask` holds (-1 when none)."""
    first = np.full(log.n_cases, -1, dtype=np.int64)
    hits = position[mask]
    cases = log.case[mask]
    # Positions are sorted, so the first hit of each case is where its case index first shows.
    unique, index = np.unique(cases, return_index=True)
    first[unique] = hits[index]
    return first


def stats(seconds: np.ndarray) -> DurationStats:
    """Summary of durations in seconds (zeros when there are none)."""
    if not len(seconds):
        return DurationStats(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    p50, p90 = np.percentile(seconds, [50, 90])
    return DurationStats(
        count=len(seconds),
        mean=float(seconds.mean()),
        p50=float(p50),
        p90=float(p90),
        min=float(seconds.min()),
        max=float(seconds.max()),
    )
