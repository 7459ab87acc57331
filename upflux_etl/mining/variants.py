"""Variants: the distinct activity sequences of the cases, with counts and coverage."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from upflux_etl.mining.eventlog import EventLog


@dataclass(frozen=True)
class Variants:
    """The log's variants, most frequent first.

    Attributes:
        sequences: each variant's activities.
        counts: cases per variant.
        of_case: per case (as in `EventLog.cases`), the index of its variant.
    """

    sequences: list[tuple[str, ...]]
    counts: np.ndarray
    of_case: np.ndarray

    @property
    def coverage(self) -> np.ndarray:
        """Share of the cases each variant covers."""
        total = int(self.counts.sum())
        return self.counts / total if total else self.counts.astype(float)

    def as_dict(self) -> dict[tuple[str, ...], int]:
        """Cases per variant keyed by the activity sequence."""
        return {s: int(c) for s, c in zip(self.sequences, self.counts, strict=True)}


def variants(log: EventLog) -> Variants:
    """Group the cases by their exact activity sequence."""
    width = np.uint16 if len(log.activities) < 1 << 16 else np.uint32
    raw = log.activity.astype(width).tobytes()
    step = np.dtype(width).itemsize
    bounds = (log.offsets * step).tolist()
    keys = [raw[a:b] for a, b in itertools.pairwise(bounds)]
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    counts = np.bincount(codes, minlength=len(uniques))
    order = np.argsort(-counts, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    names = log.activities
    sequences = [tuple(names[i] for i in np.frombuffer(uniques[j], dtype=width)) for j in order]
    return Variants(sequences=sequences, counts=counts[order], of_case=rank[codes])
