"""Named, independent random streams, one per component.

A change in one part of the simulation does not reshuffle the others.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str, *keys: int) -> np.random.Generator:
    """A generator determined by the seed, a component name and optional integer keys.

    Args:
        seed: The run's seed.
        name: The component (``"er"``, ``"exams"`` ...).
        *keys: Extra non-negative integers (e.g. a month index for chunked generation).

    Returns:
        A fresh ``numpy.random.Generator``.
    """
    return np.random.default_rng([int(seed), zlib.crc32(name.encode()), *map(int, keys)])


def lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: float, size=None):
    """Lognormal draws given the median (not the mean) of the distribution.

    One draw per element of ``median`` unless ``size`` says otherwise.
    """
    median = np.asarray(median, dtype=float)
    return median * np.exp(sigma * rng.standard_normal(median.shape if size is None else size))
