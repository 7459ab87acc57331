"""Conformance of an event log with a reference model: fitness, fitting cases, deviations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from upflux_etl.mining.alignments import Aligner, Alignment
from upflux_etl.mining.bpmn import Model
from upflux_etl.mining.eventlog import EventLog
from upflux_etl.mining.variants import Variants

# Part of the cache key: a change to the alignment algorithm invalidates every cached result.
ALGORITHM_VERSION = "layered-dijkstra-2-standard-costs"


@dataclass(frozen=True)
class Conformance:
    """Alignment-based conformance of a log.

    Attributes:
        fitness: 1 - total standard cost / total standard worst case over all cases (pm4py's
            `fitness_alignments` "log_fitness" definition: silent moves cost 1 against 10000).
        fitness_deviations: the same with silent moves free: 1 - total deviations / total
            (events + visible steps of the cheapest complete run); independent of how many
            silent transitions the net was drawn with.
        fitting_share: share of the cases whose alignment has no deviation.
        alignments: per variant (as in `Variants.sequences`).
        aligned_now: variants aligned in this call (the others came from the cache).
    """

    fitness: float
    fitness_deviations: float
    fitting_share: float
    alignments: list[Alignment]
    aligned_now: int

    def case_fitness(self, variants: Variants) -> np.ndarray:
        """Per case, the fitness of its variant's alignment."""
        return np.array([a.fitness for a in self.alignments])[variants.of_case]

    def top_deviations(self, variants: Variants, n: int = 10) -> list[tuple[str, str, int]]:
        """The most frequent deviations over the cases: (kind, activity, cases x moves)."""
        tally: Counter[tuple[str, str]] = Counter()
        for alignment, count in zip(self.alignments, variants.counts, strict=True):
            for activity in alignment.log_moves:
                tally[("log move", activity)] += int(count)
            for activity in alignment.model_moves:
                tally[("model move", activity)] += int(count)
        return [(kind, activity, n_) for (kind, activity), n_ in tally.most_common(n)]


def case_table(log: EventLog, variants: Variants, result: Conformance) -> pd.DataFrame:
    """Per case: its start (UTC), variant, deviations, fitness and the deviating activities."""
    alignments = result.alignments
    of_case = variants.of_case
    return pd.DataFrame(
        {
            "case": log.cases,
            "started_at": pd.to_datetime(log.timestamp[log.offsets[:-1]], utc=True),
            "variant": of_case,
            "deviations": np.array([a.deviations for a in alignments], dtype=np.int64)[of_case],
            "fitness": np.array([a.fitness for a in alignments])[of_case],
            "log_moves": np.array([" | ".join(a.log_moves) for a in alignments], dtype=object)[
                of_case
            ],
            "model_moves": np.array([" | ".join(a.model_moves) for a in alignments], dtype=object)[
                of_case
            ],
        }
    )


def monthly_rate(cases: pd.DataFrame) -> dict[str, float]:
    """Share of fitting cases per month of the case's first event (UTC), "YYYY-MM"."""
    month = cases["started_at"].dt.strftime("%Y-%m")
    fitting = (cases["deviations"] == 0).groupby(month).mean()
    return {str(k): float(v) for k, v in fitting.sort_index().items()}


def cache_key(model: Model) -> str:
    """The model version an alignment is cached under (file digest and algorithm)."""
    return f"{model.digest}:{ALGORITHM_VERSION}"


def conformance(
    variants: Variants,
    model: Model,
    cache: dict[tuple[str, tuple[str, ...]], Alignment] | None = None,
) -> Conformance:
    """Align each variant not in `cache` (then added to it) and sum over the cases.

    Args:
        variants: the log's variants.
        model: the reference model.
        cache: alignments by (model version, variant); new ones are added.
    """
    cache = {} if cache is None else cache
    key = cache_key(model)
    missing = [s for s in variants.sequences if (key, s) not in cache]
    if missing:
        for sequence, alignment in zip(missing, Aligner(model).align(missing), strict=True):
            cache[(key, sequence)] = alignment
    alignments = [cache[(key, s)] for s in variants.sequences]
    counts = variants.counts.astype(np.int64)
    deviations = np.array([a.deviations for a in alignments], dtype=np.int64)
    fitness = _log_fitness(alignments, counts, lambda a: (a.cost, a.worst_cost))
    fitness_deviations = _log_fitness(alignments, counts, lambda a: (a.deviations, a.worst))
    cases = int(counts.sum())
    fitting = int(counts[deviations == 0].sum())
    return Conformance(
        fitness=fitness,
        fitness_deviations=fitness_deviations,
        fitting_share=fitting / cases if cases else 1.0,
        alignments=alignments,
        aligned_now=len(missing),
    )


def _log_fitness(
    alignments: list[Alignment],
    counts: np.ndarray,
    cost_and_worst: Callable[[Alignment], tuple[int, int]],
) -> float:
    """1 - sum of the cases' costs / sum of their worst cases (integers, then one division)."""
    pairs = np.array([cost_and_worst(a) for a in alignments], dtype=np.int64).reshape(-1, 2)
    total_worst = int((pairs[:, 1] * counts).sum())
    return 1.0 - int((pairs[:, 0] * counts).sum()) / total_worst if total_worst else 1.0
