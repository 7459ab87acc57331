"""Scheduled outpatient work: specialist consultations and walk-in lab collection visits.

Both on working days only (Saturdays lighter, holidays closed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospitalis_demo.codes import CLINIC, EXTERNAL
from hospitalis_demo.rng import lognormal
from hospitalis_demo.timeline import DAY, HOUR, MINUTE, NAT, Horizon, working_days

# Hour-of-day weights: consultations 07-18 h, collection mornings 06-16 h.
CLINIC_HOURS = np.array([0] * 7 + [0.6, 1.0, 1.0, 1.0, 0.9, 0.5, 0.8, 1.0, 1.0, 0.9, 0.6] + [0] * 6)
LAB_HOURS = np.array([0] * 6 + [1.2, 1.6, 1.5, 1.2, 0.9, 0.6, 0.4, 0.4, 0.3, 0.2] + [0] * 8)
CONSULTS_PER_BED_DAY = 0.70
LAB_VISITS_PER_BED_DAY = 0.80


@dataclass
class OutpatientVisits:
    """One row per outpatient encounter (sorted by arrival).

    Attributes:
        kind: ``CLINIC`` (consultation) or ``EXTERNAL`` (lab collection visit).
        arrival: Check-in time (for a no-show: the appointment time).
        doctor: Start of the consultation (``NAT`` for lab visits and no-shows).
        left: End of the visit (``NAT`` for no-shows).
        cancelled: No-show appointments, cancelled in the ERP.
    """

    kind: np.ndarray
    arrival: np.ndarray
    doctor: np.ndarray
    left: np.ndarray
    cancelled: np.ndarray
    patient: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.arrival)


def _times(
    rng: np.random.Generator, horizon: Horizon, per_day: float, hours: np.ndarray, saturday: float
) -> np.ndarray:
    """Arrival times on working days following an hour-of-day profile."""
    level = working_days(horizon, saturday=saturday)
    counts = rng.poisson(per_day * level)
    day_start = np.repeat(horizon.t0 + np.arange(horizon.n_days, dtype=np.int64) * DAY, counts)
    hour = rng.choice(24, size=len(day_start), p=hours / hours.sum())
    return np.sort(day_start + hour * HOUR + rng.integers(60, HOUR - 60, len(day_start)))


def simulate(
    rng: np.random.Generator, horizon: Horizon, beds: int, scale: float
) -> OutpatientVisits:
    """Consultations and lab collection visits over the horizon."""
    consult = _times(rng, horizon, CONSULTS_PER_BED_DAY * beds * scale, CLINIC_HOURS, 0.25)
    lab = _times(rng, horizon, LAB_VISITS_PER_BED_DAY * beds * scale, LAB_HOURS, 0.4)
    n_c, n_l = len(consult), len(lab)
    wait = (lognormal(rng, 22.0, 0.6, n_c) * MINUTE).astype(np.int64) + 60
    doctor = consult + wait
    left_c = doctor + (lognormal(rng, 18.0, 0.4, n_c) * MINUTE).astype(np.int64) + 60
    noshow = rng.random(n_c) < 0.05
    doctor[noshow] = NAT
    left_c[noshow] = NAT
    left_l = lab + (lognormal(rng, 14.0, 0.5, n_l) * MINUTE).astype(np.int64) + 60
    arrival = np.concatenate([consult, lab])
    order = np.argsort(arrival, kind="stable")
    return OutpatientVisits(
        kind=np.concatenate([np.full(n_c, CLINIC), np.full(n_l, EXTERNAL)]).astype(np.int8)[order],
        arrival=arrival[order],
        doctor=np.concatenate([doctor, np.full(n_l, NAT)])[order],
        left=np.concatenate([left_c, left_l])[order],
        cancelled=np.concatenate([noshow, np.zeros(n_l, dtype=bool)])[order],
    )
