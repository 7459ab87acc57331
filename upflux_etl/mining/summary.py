"""One analysis of an event log, as `upflux mine` prints it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from upflux_etl.mining.bpmn import Model
from upflux_etl.mining.cache import AlignmentCache
from upflux_etl.mining.conformance import Conformance, case_table, conformance, monthly_rate
from upflux_etl.mining.dfg import DirectlyFollowsGraph, directly_follows
from upflux_etl.mining.durations import DurationStats, case_durations, stats, throughput_times
from upflux_etl.mining.eventlog import EventLog
from upflux_etl.mining.variants import Variants, variants


@dataclass(frozen=True)
class MiningSummary:
    """Counts, the directly-follows graph, variants, case durations and conformance."""

    log: EventLog
    graph: DirectlyFollowsGraph
    variants: Variants
    durations: DurationStats
    conformance: Conformance | None
    throughput: tuple[str, str, DurationStats] | None = None

    def cases(self) -> pd.DataFrame:
        """Per case: deviations and fitness (needs a model)."""
        if self.conformance is None:
            raise ValueError("no model: no per-case conformance")
        return case_table(self.log, self.variants, self.conformance)

    def to_json(self, top: int = 10) -> dict[str, Any]:
        """The machine-readable summary (integer counts; fitness only with a model)."""
        payload: dict[str, Any] = {
            "cases": self.log.n_cases,
            "events": self.log.n_events,
            "events_without_case": self.log.without_case,
            "activities": len(self.log.activities),
            "variants": len(self.variants.sequences),
            "edges": len(self.graph.edges),
            "case_duration_seconds": asdict(self.durations),
            "top_variants": [
                {"activities": list(s), "cases": int(c), "coverage": float(cov)}
                for s, c, cov in zip(
                    self.variants.sequences[:top],
                    self.variants.counts[:top],
                    self.variants.coverage[:top],
                    strict=True,
                )
            ],
            "top_edges": [asdict(e) for e in self.graph.edges[:top]],
        }
        if self.throughput is not None:
            start, end, times = self.throughput
            payload["throughput_seconds"] = {"from": start, "to": end, **asdict(times)}
        if self.conformance is not None:
            payload["fitness"] = self.conformance.fitness
            payload["fitness_deviations"] = self.conformance.fitness_deviations
            payload["fitting_cases"] = self.conformance.fitting_share
            payload["fitting_cases_by_month"] = monthly_rate(self.cases())
            payload["top_deviations"] = [
                {"kind": k, "activity": a, "count": n}
                for k, a, n in self.conformance.top_deviations(self.variants, top)
            ]
        return payload


def summarise(
    log: EventLog,
    model: Model | None = None,
    cache: AlignmentCache | None = None,
    between: tuple[str, str] | None = None,
) -> MiningSummary:
    """Analyse a log, and its conformance with `model` when one is given.

    Args:
        log: the event log.
        model: the reference model (adds conformance).
        cache: alignments kept across runs (new ones are added).
        between: two activities: throughput times from the first to the second.
    """
    found = variants(log)
    times = None
    if between is not None:
        times = (between[0], between[1], stats(throughput_times(log, *between)))
    return MiningSummary(
        log=log,
        graph=directly_follows(log),
        variants=found,
        durations=stats(case_durations(log)),
        conformance=None if model is None else conformance(found, model, cache),
        throughput=times,
    )


def activity_positions(log: EventLog) -> list[dict]:
    """Each activity's count and mean position (0 = first event of its case), for a map."""
    position = np.arange(log.n_events) - log.offsets[log.case]
    n = len(log.activities)
    counts = np.bincount(log.activity, minlength=n)
    sums = np.bincount(log.activity, weights=position, minlength=n)
    return [
        {"name": name, "count": int(c), "mean_position": float(s / c) if c else 0.0}
        for name, c, s in zip(log.activities, counts, sums, strict=True)
    ]
