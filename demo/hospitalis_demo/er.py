"""The emergency room: arrivals, triage, waiting, and exits.

Arrivals by hour and weekday, Manchester triage, waiting times that grow with the load, people
leaving without being seen, and the ER's exits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospitalis_demo.rng import lognormal
from hospitalis_demo.timeline import DAY, HOUR, MINUTE, NAT, Horizon, nudge_midnight, season

# Relative arrivals per hour of day: quiet before dawn, late-morning and evening peaks.
HOURLY = np.array(
    [
        0.50,
        0.40,
        0.33,
        0.30,
        0.30,
        0.36,
        0.55,
        0.85,
        1.20,
        1.45,
        1.55,
        1.50,
        1.30,
        1.20,
        1.25,
        1.30,
        1.30,
        1.35,
        1.45,
        1.55,
        1.50,
        1.25,
        0.95,
        0.70,
    ]
)
WEEKDAY = np.array([1.20, 1.06, 1.00, 0.98, 0.97, 0.88, 0.91])  # Monday first
COLOUR_SHARE = np.array([0.01, 0.10, 0.35, 0.45, 0.09])  # red, orange, yellow, green, blue
WAIT_DOCTOR_MIN = np.array([2.0, 9.0, 32.0, 62.0, 85.0])
STAY_AFTER_DOCTOR_MIN = np.array([220.0, 190.0, 140.0, 55.0, 30.0])
VISITS_PER_BED_DAY = 1.25

# Outcomes of an ER visit (before admissions are chosen).
DISCHARGED, LEFT_UNSEEN, AT_OWN_REQUEST, TRANSFERRED, DIED, ADMITTED = range(6)


@dataclass
class ErVisits:
    """One row per ER arrival (arrays of equal length, sorted by arrival)."""

    arrival: np.ndarray
    colour: np.ndarray
    triage_start: np.ndarray
    triage_end: np.ndarray
    doctor: np.ndarray
    left: np.ndarray
    outcome: np.ndarray
    load: np.ndarray
    patient: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.arrival)


def arrivals(rng: np.random.Generator, horizon: Horizon, beds: int, scale: float):
    """Poisson arrival times and each arrival's load (arrivals that hour / expected mean).

    Returns:
        ``(arrival_times, load)`` sorted by time.
    """
    n_hours = horizon.n_days * 24
    hour_t = horizon.t0 + np.arange(n_hours, dtype=np.int64) * HOUR
    day = np.arange(n_hours) // 24
    wd = ((hour_t // DAY) + 3) % 7
    mean_hour = VISITS_PER_BED_DAY * beds * scale / 24.0
    rate = mean_hour * HOURLY[np.arange(n_hours) % 24] / HOURLY.mean()
    rate = rate * WEEKDAY[wd] / WEEKDAY.mean() * season(horizon)[day]
    counts = rng.poisson(rate)
    start = np.repeat(hour_t, counts)
    times = np.sort(start + rng.integers(0, HOUR, size=len(start)))
    load = np.repeat(counts / max(mean_hour, 1e-9), counts)
    return nudge_midnight(times), load


def simulate(rng: np.random.Generator, horizon: Horizon, beds: int, scale: float) -> ErVisits:
    """ER visits over the horizon, without admissions (chosen later by the inpatient model)."""
    arrival, load = arrivals(rng, horizon, beds, scale)
    n = len(arrival)
    colour = rng.choice(5, size=n, p=COLOUR_SHARE).astype(np.int8)
    crowd = np.clip(load, 0.25, 3.0)
    to_triage = np.where(
        colour == 0,
        lognormal(rng, 1.5, 0.4, n),
        lognormal(rng, 6.5 * crowd**0.8, 0.6, n) * np.where(colour == 1, 0.6, 1),
    )
    triage_start = arrival + np.maximum(to_triage * MINUTE, 20).astype(np.int64)
    triage_end = triage_start + (lognormal(rng, 4.0, 0.35, n) * MINUTE).astype(np.int64) + 30
    wait = lognormal(rng, WAIT_DOCTOR_MIN[colour] * crowd**1.1, 0.75, n)
    doctor = triage_end + (wait * MINUTE).astype(np.int64) + 10
    after = lognormal(rng, STAY_AFTER_DOCTOR_MIN[colour], 0.7, n)
    left = doctor + (after * MINUTE).astype(np.int64) + 60
    outcome = _outcomes(rng, colour)
    # Long waits make green and blue patients give up before the doctor.
    p_unseen = np.where(colour >= 3, np.clip(wait / 1400.0, 0, 0.25), 0.0)
    unseen = rng.random(n) < p_unseen
    outcome[unseen] = LEFT_UNSEEN
    left[unseen] = (
        triage_end[unseen]
        + (wait[unseen] * rng.uniform(0.3, 0.9, unseen.sum()) * MINUTE).astype(np.int64)
        + 60
    )
    doctor[unseen] = NAT
    # A few leave before triage.
    gone = rng.random(n) < 0.003
    outcome[gone] = LEFT_UNSEEN
    left[gone] = arrival[gone] + rng.integers(15 * MINUTE, 60 * MINUTE, gone.sum())
    for arr in (triage_start, triage_end, doctor):
        arr[gone] = NAT
    return ErVisits(
        arrival=arrival,
        colour=colour,
        triage_start=nudge_midnight(triage_start),
        triage_end=nudge_midnight(triage_end),
        doctor=nudge_midnight(doctor),
        left=nudge_midnight(left),
        outcome=outcome,
        load=load,
    )


def _outcomes(rng: np.random.Generator, colour: np.ndarray) -> np.ndarray:
    """Exit of each visit by colour: most go home, red ones die or are transferred more."""
    n = len(colour)
    roll = rng.random(n)
    died = np.array([0.04, 0.003, 0.0003, 0.0, 0.0])[colour]
    transferred = np.array([0.05, 0.02, 0.004, 0.001, 0.0])[colour]
    outcome = np.full(n, DISCHARGED, dtype=np.int8)
    outcome[roll < died + transferred + 0.01] = AT_OWN_REQUEST
    outcome[roll < died + transferred] = TRANSFERRED
    outcome[roll < died] = DIED
    return outcome


def retriage(rng: np.random.Generator, visits: ErVisits) -> tuple[np.ndarray, ...]:
    """Second classifications of some waiting patients (reassessed, usually more urgent).

    Returns:
        ``(visit_index, start, end, colour)`` of the extra triage records.
    """
    waiting = visits.doctor - visits.triage_end
    ok = (visits.doctor != NAT) & (waiting > 45 * MINUTE) & (visits.colour >= 2)
    chosen = np.flatnonzero(ok & (rng.random(len(visits)) < 0.06))
    start = visits.triage_end[chosen] + (
        waiting[chosen] * rng.uniform(0.3, 0.8, len(chosen))
    ).astype(np.int64)
    end = np.minimum(
        start + rng.integers(3 * MINUTE, 8 * MINUTE, len(chosen)), visits.doctor[chosen] - 5
    )
    colour = np.maximum(visits.colour[chosen] - rng.integers(0, 2, len(chosen)), 0)
    return chosen, nudge_midnight(start), nudge_midnight(end), colour.astype(np.int8)
