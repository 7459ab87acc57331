"""The directly-follows graph: how often, and how long after, one activity follows another."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

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


def directly_follows(log: EventLog, times: bool = True) -> DirectlyFollowsGraph:
    """The directly-follows graph of the log (consecutive events of the same case).

    Args:
        log: the event log.
        times: also the mean and median time of each edge (zeros otherwise).
    """
    n_act = len(log.activities)
    same_case = log.case[1:] == log.case[:-1]
    keys = (log.activity[:-1][same_case].astype(np.int64) * n_act) + log.activity[1:][same_case]
    counts = np.bincount(keys, minlength=n_act * n_act)
    present = np.flatnonzero(counts)
    means = medians = np.zeros(len(present))
    if times and len(present):
        gaps = (log.timestamp[1:] - log.timestamp[:-1])[same_case]
        means, medians = _edge_times(keys, gaps, present)
    names = log.activities
    edges = [
        Edge(
            source=names[int(k) // n_act],
            target=names[int(k) % n_act],
            count=int(counts[k]),
            mean_seconds=float(mean),
            median_seconds=float(median),
        )
        for k, mean, median in zip(present, means, medians, strict=True)
    ]
    edges.sort(key=lambda e: (-e.count, e.source, e.target))
    return DirectlyFollowsGraph(
        edges=edges,
        start_activities=_tally(log, log.activity[log.offsets[:-1]]),
        end_activities=_tally(log, log.activity[log.offsets[1:] - 1]),
    )


def _edge_times(
    keys: np.ndarray, gaps: np.ndarray, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and median seconds per edge key (DuckDB's grouped median: mean of the middle two)."""
    con = duckdb.connect()
    try:
        con.register("gaps", pa.table({"k": keys, "g": gaps}))
        rows = con.execute(
            "select k, avg(g) / 1e9 as mean, median(g) / 1e9 as median from gaps group by k"
        ).fetchnumpy()
    finally:
        con.close()
    at = np.searchsorted(present, rows["k"])
    means, medians = np.zeros(len(present)), np.zeros(len(present))
    means[at], medians[at] = rows["mean"], rows["median"]
    return means, medians


def _tally(log: EventLog, codes: np.ndarray) -> dict[str, int]:
    counts = np.bincount(codes, minlength=len(log.activities))
    return {log.activities[i]: int(c) for i, c in enumerate(counts) if c}
