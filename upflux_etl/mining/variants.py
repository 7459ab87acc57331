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
    """Group the cases by their exact activity sequence.

    Each case's sequence is hashed (a polynomial over its activity codes, vectorised), the
    cases grouped by hash, and every case then compared event by event with its group's
    first case: a hash collision is detected and resolved exactly.
    """
    lengths = np.diff(log.offsets)
    if not len(lengths):
        return Variants(sequences=[], counts=np.zeros(0, np.int64), of_case=np.zeros(0, np.int64))
    position = np.arange(len(log.activity)) - np.repeat(log.offsets[:-1], lengths)
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.full(int(lengths.max()) + 1, _BASE, dtype=np.uint64))
        terms = (log.activity.astype(np.uint64) + np.uint64(1)) * powers[position]
        hashes = np.add.reduceat(terms, log.offsets[:-1]) ^ (lengths.astype(np.uint64) * _BASE)
    codes, _ = pd.factorize(hashes, sort=False)
    first_case = np.full(codes.max() + 1, -1, dtype=np.int64)
    first_case[codes[::-1]] = np.arange(len(codes))[::-1]
    representative = first_case[codes]
    same = lengths == lengths[representative]
    same_events = (
        log.activity == log.activity[log.offsets[representative][log.case] + position]
        if same.all()
        else np.zeros(1, dtype=bool)
    )
    if not same_events.all():
        codes = _exact_codes(log)  # a collision: group by the sequences themselves
        first_case = np.full(codes.max() + 1, -1, dtype=np.int64)
        first_case[codes[::-1]] = np.arange(len(codes))[::-1]
    counts = np.bincount(codes)
    order = np.argsort(-counts, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    # Every variant's activities in one gather, then cut into tuples.
    chosen = first_case[order]
    sizes = lengths[chosen]
    starts = np.repeat(log.offsets[chosen] - np.cumsum(sizes) + sizes, sizes)
    flat = np.asarray(log.activities, dtype=object)[
        log.activity[starts + np.arange(int(sizes.sum()))]
    ].tolist()
    bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    sequences = [tuple(flat[a:b]) for a, b in itertools.pairwise(bounds)]
    return Variants(sequences=sequences, counts=counts[order], of_case=rank[codes])


_BASE = np.uint64(1_000_003)


def _exact_codes(log: EventLog) -> np.ndarray:
    """Variant codes from each case's activity codes as bytes (exact, slower)."""
    width = np.uint16 if len(log.activities) < 1 << 16 else np.uint32
    raw = log.activity.astype(width).tobytes()
    bounds = (log.offsets * np.dtype(width).itemsize).tolist()
    keys = [raw[a:b] for a, b in itertools.pairwise(bounds)]
    codes, _ = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    return np.asarray(codes)
