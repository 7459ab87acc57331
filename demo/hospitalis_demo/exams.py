"""Exam orders and their turnaround, generated one month at a time (the biggest table).

Inpatients get routine labs at the early-morning round and urgent ones at any hour; ER
patients get a panel soon after the doctor sees them; the collection post registers orders
as patients arrive; clinics book imaging days ahead. Turnaround depends on kind and priority,
with long tails (cultures take days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo.rng import lognormal
from hospitalis_demo.timeline import DAY, HOUR, MINUTE

WARD_LAB_PER_DAY = np.array([8.0, 3.2, 2.6, 2.0, 1.5])  # per ward unit, before scale
WARD_IMAGING_PER_DAY = np.array([0.8, 0.35, 0.4, 0.2, 0.15])
WARD_URGENT_LAB = np.array([0.45, 0.25, 0.25, 0.30, 0.20])
ER_HAS_EXAMS = np.array([0.85, 0.80, 0.60, 0.30, 0.10])
ER_LABS = np.array([6.0, 5.0, 3.5, 2.0, 1.5])
ER_IMAGING = np.array([1.2, 0.9, 0.6, 0.3, 0.1])
WARD, ER, CLINIC, LAB_VISIT = range(4)


@dataclass
class Orders:
    """Exam orders before turnaround: who, when, which exam, how urgent, from where."""

    encounter: np.ndarray
    ordered: np.ndarray
    exam: np.ndarray  # index into codes.EXAMS
    urgent: np.ndarray
    source: np.ndarray

    @staticmethod
    def concat(parts: list[Orders]) -> Orders:
        """Join order batches."""
        return Orders(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("encounter", "ordered", "exam", "urgent", "source")
            )
        )


def _pick_exams(rng: np.random.Generator, n: int, imaging: bool, column: str) -> np.ndarray:
    rows = [i for i, e in enumerate(codes.EXAMS) if (e.kind != "LAB") == imaging]
    weight = np.array([getattr(codes.EXAMS[i], column) for i in rows], dtype=float)
    return np.array(rows)[rng.choice(len(rows), size=n, p=weight / weight.sum())]


def ward_orders(
    rng: np.random.Generator,
    encounter: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    unit: np.ndarray,
    scale: float,
) -> Orders:
    """Orders during bed occupations (``end`` already capped at the snapshot)."""
    days = (end - start) / DAY
    parts = []
    for imaging, rate in ((False, WARD_LAB_PER_DAY), (True, WARD_IMAGING_PER_DAY)):
        count = rng.poisson(rate[unit] * scale * days)
        seg = np.repeat(np.arange(len(start)), count)
        when = start[seg] + (rng.random(len(seg)) * (end[seg] - start[seg])).astype(np.int64)
        p_urgent = 0.4 + 0.2 * (unit[seg] == 0) if imaging else WARD_URGENT_LAB[unit[seg]]
        urgent = rng.random(len(seg)) < p_urgent
        if not imaging:  # routine labs go with the 05:00 round
            round_t = when // DAY * DAY + 5 * HOUR + rng.integers(0, 90 * MINUTE, len(seg))
            fits = ~urgent & (round_t > start[seg]) & (round_t < end[seg])
            when = np.where(fits, round_t, when)
        exam = _pick_exams(rng, len(seg), imaging, "ward")
        parts.append(Orders(encounter[seg], when, exam, urgent, np.full(len(seg), WARD)))
    return Orders.concat(parts)


def er_orders(
    rng: np.random.Generator,
    encounter: np.ndarray,
    doctor: np.ndarray,
    left: np.ndarray,
    colour: np.ndarray,
) -> Orders:
    """A lab panel and some imaging for ER patients seen by a doctor."""
    has = rng.random(len(doctor)) < ER_HAS_EXAMS[colour]
    parts = []
    for imaging, mean, delay in ((False, ER_LABS, 15.0), (True, ER_IMAGING, 25.0)):
        count = np.where(has, rng.poisson(mean[colour]), 0)
        if not imaging:
            count = np.where(has, np.maximum(count, 1), 0)
        visit_t = doctor + (lognormal(rng, delay, 0.6, len(doctor)) * MINUTE).astype(np.int64)
        visit_t = np.maximum(np.minimum(visit_t, left - 5 * MINUTE), doctor + MINUTE)
        seg = np.repeat(np.arange(len(doctor)), count)
        urgent = rng.random(len(seg)) < np.where(colour[seg] <= 2, 0.95, 0.6)
        exam = _pick_exams(rng, len(seg), imaging, "er")
        parts.append(Orders(encounter[seg], visit_t[seg], exam, urgent, np.full(len(seg), ER)))
    return Orders.concat(parts)


def visit_orders(
    rng: np.random.Generator,
    encounter: np.ndarray,
    when: np.ndarray,
    is_lab_visit: np.ndarray,
    scale_labs: float = 1.0,
) -> Orders:
    """Collection-post orders (registered on arrival) and clinic imaging bookings."""
    lab_count = np.where(is_lab_visit, 1 + rng.poisson(3.5 * scale_labs, len(when)), 0)
    img_count = np.where(~is_lab_visit & (rng.random(len(when)) < 0.12), 1, 0)
    parts = []
    for imaging, count in ((False, lab_count), (True, img_count)):
        seg = np.repeat(np.arange(len(when)), count)
        ordered = when[seg] + rng.integers(MINUTE, 5 * MINUTE, len(seg))
        urgent = rng.random(len(seg)) < (0.0 if imaging else 0.03)
        exam = _pick_exams(rng, len(seg), imaging, "external")
        source = np.full(len(seg), CLINIC if imaging else LAB_VISIT)
        parts.append(Orders(encounter[seg], ordered, exam, urgent, source))
    return Orders.concat(parts)
