"""Who needs a hospital bed, and when.

Admissions from the ER, direct (regulated) urgent admissions, elective admissions on working
days, and the patients already in the wards when the ERP went live (re-registered on go-live
morning).

Admission rates are solved from the bed count so each unit runs near a target occupancy
(square-root staffing: small units run emptier).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hospitalis_demo import er as er_model
from hospitalis_demo.pathways import (
    OBSTETRIC,
    OUTCOME_P,
    PAEDIATRIC,
    SURGICAL,
    URGENT_SHARE,
    daytime_discharge,
    expected_unit_days,
    segments,
    split_bed_change,
)
from hospitalis_demo.rng import lognormal
from hospitalis_demo.timeline import (
    DAY,
    HOUR,
    MINUTE,
    NAT,
    Horizon,
    nudge_midnight,
    season,
    weekday,
    working_days,
)

CENSUS, FROM_ER, DIRECT, ELECTIVE = range(4)
# Selection weights of ER visits by colour (red..blue) for each pathway.
COLOUR_WEIGHT = np.array(
    [
        [8, 6, 3, 0.4, 0.05],
        [40, 8, 1, 0.05, 0.01],
        [5, 5, 3, 0.5, 0.05],
        [8, 6, 3, 0.5, 0.1],
        [3, 4, 4, 1, 0.2],
    ]
)
SELECTION_ORDER = (1, 4, 3, 2, 0)  # critical first: it picks the reddest visits


@dataclass
class Stays:
    """Inpatient stays, planned (before beds are allocated)."""

    pathway: list[int] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)
    er_visit: list[int] = field(default_factory=list)
    request: list[int] = field(default_factory=list)
    outcome: list[int] = field(default_factory=list)
    surgery: list[int] = field(default_factory=list)  # 0 none, 1 elective, 2 urgent, 3 suspended
    plan: list[list[list[int]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.request)


def target_occupancy(beds: np.ndarray) -> np.ndarray:
    """Occupancy each unit can sustain without chronic queues (square-root staffing)."""
    return np.clip(0.89 - 0.5 / np.sqrt(np.maximum(beds, 1)), 0.5, 0.87)


def admission_rates(rng: np.random.Generator, unit_beds: np.ndarray) -> np.ndarray:
    """Stays per day of each pathway so that every unit meets its target occupancy."""
    days = expected_unit_days(rng)
    target = target_occupancy(unit_beds) * unit_beds
    rates = np.linalg.lstsq(days, target, rcond=None)[0]
    return np.clip(rates, 0.02, None)


def _daily_factors(horizon: Horizon) -> tuple[np.ndarray, np.ndarray]:
    """Relative daily demand per pathway for urgent and elective admissions.

    Urgent demand follows the weekday, and the respiratory season for clinical, critical and
    paediatric care; elective demand follows working days.
    """
    day_t = horizon.t0 + np.arange(horizon.n_days, dtype=np.int64) * DAY
    week = er_model.WEEKDAY[weekday(day_t)]
    respiratory = np.array([True, True, False, True, False])
    urgent = np.where(respiratory[:, None], (week * season(horizon))[None, :], week[None, :])
    elective = working_days(horizon, saturday=0.2)
    return urgent / urgent.mean(axis=1, keepdims=True), elective / max(elective.mean(), 1e-9)


def _eligible(visits: er_model.ErVisits, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Pathway x visit eligibility (seen by a doctor, not dead/transferred, right patient)."""
    seen = (visits.doctor != NAT) & np.isin(
        visits.outcome, (er_model.DISCHARGED, er_model.AT_OWN_REQUEST)
    )
    adult, child = age >= 14, age < 14
    mother = female & (age >= 15) & (age <= 45)
    return np.vstack([seen & adult, seen & adult, seen & adult, seen & child, seen & mother])


def choose_from_er(
    rng: np.random.Generator,
    horizon: Horizon,
    visits: er_model.ErVisits,
    age: np.ndarray,
    female: np.ndarray,
    wanted: np.ndarray,
) -> list[np.ndarray]:
    """Pick, day by day, the ER visits that end in an admission.

    Args:
        rng: The demand's random stream.
        horizon: The simulated period.
        visits: Every ER visit.
        age: Age of each visit's patient.
        female: Whether each visit's patient is female.
        wanted: ``(5, n_days)`` urgent admissions needed per pathway and day.

    Returns:
        Per pathway, the chosen visit indices; ``wanted`` is reduced in place by what the ER
        supplied (the rest become direct admissions).
    """
    eligible = _eligible(visits, age, female)
    day = horizon.day_index(visits.arrival)
    taken = np.zeros(len(visits), dtype=bool)
    chosen: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * 5
    for pathway in SELECTION_ORDER:
        pool = np.flatnonzero(eligible[pathway] & ~taken)
        weight = COLOUR_WEIGHT[pathway][visits.colour[pool]] * (1 + np.clip(age[pool], 0, 99) / 60)
        key = np.log(rng.random(len(pool))) / weight  # Efraimidis-Spirakis weighted sampling
        order = np.lexsort((-key, day[pool]))
        pool_day = day[pool][order]
        first = np.searchsorted(pool_day, pool_day, side="left")
        rank = np.arange(len(pool)) - first
        pick = pool[order][rank < wanted[pathway][pool_day]]
        supplied = np.bincount(day[pick], minlength=horizon.n_days)
        wanted[pathway] -= np.minimum(supplied, wanted[pathway])
        taken[pick] = True
        chosen[pathway] = np.sort(pick)
    return chosen


def _add(
    stays: Stays,
    rng: np.random.Generator,
    pathway: int,
    origin: int,
    when: int,
    visit: int = -1,
    urgent: bool = True,
) -> None:
    died_p, moved_p = OUTCOME_P[pathway]
    roll = rng.random()
    outcome = 1 if roll < died_p else 2 if roll < died_p + moved_p else 0
    surgery = 0
    if pathway == SURGICAL:
        surgery = 2 if urgent else (3 if rng.random() < 0.05 else 1)
    elif pathway == OBSTETRIC and (not urgent or rng.random() < 0.3):
        surgery = 2 if urgent else 1
    plan = segments(rng, pathway, outcome, urgent, cesarean=surgery > 0)
    if surgery == 3:
        plan[0][1] += DAY  # operated the day after the suspended booking
    if rng.random() < 0.18:
        split_bed_change(rng, plan)
    if outcome != 1:
        daytime_discharge(rng, when, plan)
    for store, value in (
        (stays.pathway, pathway),
        (stays.origin, origin),
        (stays.er_visit, visit),
        (stays.request, when),
        (stays.outcome, outcome),
        (stays.surgery, surgery),
        (stays.plan, plan),
    ):
        store.append(value)


def _census(
    stays: Stays, rng: np.random.Generator, horizon: Horizon, unit_beds: np.ndarray
) -> None:
    """Patients already in the wards at go-live, re-registered that morning."""
    unit_pathway = (1, 0, SURGICAL, PAEDIATRIC, OBSTETRIC)
    counts = np.round(target_occupancy(unit_beds) * unit_beds * 0.9).astype(int)
    for unit, n in enumerate(counts):
        for _ in range(n):
            pathway = unit_pathway[unit]
            when = horizon.t0 + int(rng.integers(30 * MINUTE, 5 * HOUR))
            _add(stays, rng, pathway, CENSUS, when, urgent=True)
            stays.surgery[-1] = 0
            remaining = rng.uniform(0.1, 1.0)
            for segment in stays.plan[-1]:
                segment[1] = max(int(segment[1] * remaining), HOUR)


def build(
    rng: np.random.Generator,
    horizon: Horizon,
    unit_beds: np.ndarray,
    visits: er_model.ErVisits,
    age: np.ndarray,
    female: np.ndarray,
) -> Stays:
    """All planned stays of the horizon.

    Args:
        rng: Random stream.
        horizon: The simulated period.
        unit_beds: Regular beds per ward unit.
        visits: ER visits (some of them end in an admission).
        age: Age in years of each ER visit's patient (NaN when unknown: treated as adult).
        female: Whether each ER visit's patient is female.

    Returns:
        The planned stays (census, from the ER, direct urgent, elective).
    """
    rates = admission_rates(rng, unit_beds)
    urgent_f, elective_f = _daily_factors(horizon)
    share = np.array(URGENT_SHARE)[:, None]
    wanted = rng.poisson(rates[:, None] * share * urgent_f)
    elective = rng.poisson(rates[:, None] * (1 - share) * elective_f[None, :])
    age = np.where(np.isnan(age), 40.0, age)
    chosen = choose_from_er(rng, horizon, visits, age, female, wanted)
    stays = Stays()
    _census(stays, rng, horizon, unit_beds)
    day_t = horizon.t0 + np.arange(horizon.n_days, dtype=np.int64) * DAY
    for pathway in range(5):
        decided = (
            visits.doctor[chosen[pathway]]
            + (lognormal(rng, 150.0, 0.6, len(chosen[pathway])) * MINUTE).astype(np.int64)
            + 600
        )
        for visit, when in zip(chosen[pathway], nudge_midnight(decided), strict=True):
            _add(stays, rng, pathway, FROM_ER, int(when), visit=int(visit))
        direct = np.repeat(day_t, wanted[pathway])
        direct = nudge_midnight(direct + rng.integers(HOUR, DAY - HOUR, len(direct)))
        for when in direct:
            _add(stays, rng, pathway, DIRECT, int(when))
        first_hour = 7 if pathway == PAEDIATRIC else 6
        planned = np.repeat(day_t, elective[pathway]) + first_hour * HOUR
        planned += rng.integers(0, 150 * MINUTE, len(planned))
        for when in planned:
            _add(stays, rng, pathway, ELECTIVE, int(when), urgent=False)
    return stays
