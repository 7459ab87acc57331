"""From order to released result: collection or acquisition, the result, its release."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo.exams import CLINIC, LAB_VISIT, WARD, Orders
from hospitalis_demo.rng import lognormal
from hospitalis_demo.timeline import DAY, HOUR, MINUTE, NAT

IS_IMAGING = np.array([e.kind != "LAB" for e in codes.EXAMS])
IS_SLOW = np.array([e.slow for e in codes.EXAMS])


@dataclass
class ExamTimes:
    """Timestamps of each order (``NAT`` when it had not happened by the snapshot)."""

    collected: np.ndarray  # lab collection
    performed: np.ndarray  # imaging acquisition
    resulted: np.ndarray
    released: np.ndarray


def _minutes(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return (lognormal(rng, median, sigma) * MINUTE).astype(np.int64) + MINUTE


def _lab(rng: np.random.Generator, o: Orders) -> tuple[np.ndarray, np.ndarray]:
    """Collection and result times of lab orders."""
    collect_med = np.where(o.urgent, 8.0, np.where(o.source == WARD, 25.0, 10.0))
    collected = o.ordered + _minutes(rng, collect_med, 0.55)
    process_med = np.where(o.urgent, 42.0, np.where(o.source == WARD, 200.0, 280.0))
    process = _minutes(rng, process_med, 0.5)
    slow = IS_SLOW[o.exam]
    process[slow] = (lognormal(rng, 2.5, 0.3, int(slow.sum())) * DAY).astype(np.int64)
    return collected, collected + process


def _imaging(rng: np.random.Generator, o: Orders) -> tuple[np.ndarray, np.ndarray]:
    """Acquisition and report times of imaging orders."""
    n = len(o.ordered)
    wait = _minutes(rng, np.where(o.urgent, 35.0, 360.0), 0.75)
    booked = (o.source == CLINIC) | (o.source == LAB_VISIT)
    day = (o.ordered // DAY + rng.integers(1, 11, n)) * DAY
    slot = day + rng.integers(7 * HOUR, 18 * HOUR, n) - o.ordered
    performed = o.ordered + np.where(booked & ~o.urgent, slot, wait)
    report_med = np.where(o.urgent, 45.0, np.where(booked, 1200.0, 600.0))
    return performed, performed + _minutes(rng, report_med, 0.75)


def turnaround(rng: np.random.Generator, orders: Orders, t_end: int) -> ExamTimes:
    """Times of every order, censored at the snapshot ``t_end``."""
    imaging = IS_IMAGING[orders.exam]
    lab_c, lab_r = _lab(rng, orders)
    img_p, img_r = _imaging(rng, orders)
    resulted = np.where(imaging, img_r, lab_r)
    release_med = np.where(imaging, 40.0, 12.0)
    released = resulted + _minutes(rng, release_med, 0.7)
    collected = np.where(imaging, NAT, lab_c)
    performed = np.where(imaging, img_p, NAT)
    first = np.where(imaging, performed, collected)
    late = first >= t_end
    collected[late & ~imaging] = NAT
    performed[late & imaging] = NAT
    resulted[late | (resulted >= t_end)] = NAT
    released[(resulted == NAT) | (released >= t_end)] = NAT
    return ExamTimes(collected, performed, resulted, released)
