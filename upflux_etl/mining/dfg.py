"""The directly-follows graph: how often, and how long after, one activity follows another."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from upflux_etl.mining.eventlog import EventLog

NS = 1_000_000_000


@dataclass(frozen=True)
class Edge:
    """Activity `source` directly followed by `target` in one case, `count` times.

    Times are the seconds between the two events: mean and median over the occurrences.
    """

    source: str
    target: str
    count: int
    mean_seconds: float
    median_seconds: float


@dataclass(frozen=True)
class DirectlyFollowsGraph:
    """Edges (most frequent first) and the activities cases start and end with."""

    edges: list[Edge]
    start_activities: dict[str, int]
    end_activities: dict[str, int]

    def counts(self) -> dict[tuple[str, str], int]:
        """Edge frequencies keyed by (source, target)."""
        return {(e.source, e.target): e.count for e in self.edges}


def directly_follows(log: EventLog) -> DirectlyFollowsGraph:
    """The directly-follows graph of the log (consecutive events of the same case)."""
    n_act = len(log.activities)
    same_case = log.case[1:] == log.case[:-1]
    keys = (log.activity[:-1][same_case].astype(np.int64) * n_act) + log.activity[1:][same_case]
    gaps = (log.timestamp[1:] - log.timestamp[:-1])[same_case]
    order = np.lexsort((gaps, keys))
    keys, gaps = keys[order], gaps[order]
    unique, starts, counts = np.unique(keys, return_index=True, return_counts=True)
    sums = np.add.reduceat(gaps.astype(np.float64), starts) if len(keys) else np.zeros(0)
    # The median of each sorted run of gaps: mean of the one or two middle values.
    low = starts + (counts - 1) // 2
    high = starts + counts // 2
    medians = (gaps[low].astype(np.float64) + gaps[high].astype(np.float64)) / 2
    names = log.activities
    edges = [
        Edge(
            source=names[int(k) // n_act],
            target=names[int(k) % n_act],
            count=int(c),
            mean_seconds=float(s) / int(c) / NS,
            median_seconds=float(m) / NS,
        )
        for k, c, s, m in zip(unique, counts, sums, medians, strict=True)
    ]
    edges.sort(key=lambda e: (-e.count, e.source, e.target))
    return DirectlyFollowsGraph(
        edges=edges,
        start_activities=_tally(log, log.activity[log.offsets[:-1]]),
        end_activities=_tally(log, log.activity[log.offsets[1:] - 1]),
    )


def _tally(log: EventLog, codes: np.ndarray) -> dict[str, int]:
    counts = np.bincount(codes, minlength=len(log.activities))
    return {log.activities[i]: int(c) for i, c in enumerate(counts) if c}
