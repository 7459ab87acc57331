"""Inpatient care pathways: which units a stay goes through and for how long.

Units are indices into ``codes.WARD_UNITS``: 0 ICU, 1 medical ward, 2 surgical ward,
3 paediatrics, 4 maternity. Durations are seconds.
"""

from __future__ import annotations

import numpy as np

from hospitalis_demo.timeline import DAY, HOUR

ICU, MED, SURG, PED, MAT = range(5)
CLINICAL, CRITICAL, SURGICAL, PAEDIATRIC, OBSTETRIC = range(5)
PATHWAY_NAMES = ("clinical", "critical", "surgical", "paediatric", "obstetric")
ALIVE, DIED, TRANSFERRED = range(3)

# Outcome probabilities per pathway: (died, transferred to another hospital).
OUTCOME_P = ((0.08, 0.02), (0.24, 0.03), (0.01, 0.006), (0.004, 0.01), (0.0005, 0.004))
# Share of urgent admissions per pathway (the rest is elective).
URGENT_SHARE = (1.0, 1.0, 0.32, 0.75, 0.70)


def _ln(rng: np.random.Generator, median_days: float, sigma: float) -> float:
    return median_days * float(np.exp(sigma * rng.standard_normal()))


def death_days(rng: np.random.Generator) -> float:
    """Length of stay of a patient who dies: a fifth within the first 24 h."""
    if rng.random() < 0.2:
        return float(rng.uniform(2, 22)) / 24
    return _ln(rng, 6.0, 0.9)


def segments(
    rng: np.random.Generator, pathway: int, outcome: int, urgent: bool, cesarean: bool = False
) -> list[list[int]]:
    """The units of one stay with their planned durations.

    Returns:
        ``[[unit, seconds], ...]`` in order (mutable: allocation may split segments).
    """
    died = outcome == DIED
    if pathway == CLINICAL:
        days = death_days(rng) if died else _ln(rng, 4.0, 0.85)
        if rng.random() < 0.08:
            plan = [(MED, 0.3 * days), (ICU, _ln(rng, 3.0, 0.8))]
            plan += [] if died else [(MED, 0.7 * days)]
        else:
            plan = [(MED, days)]
    elif pathway == CRITICAL:
        plan = [(ICU, death_days(rng) if died else _ln(rng, 3.5, 0.85))]
        plan += [] if outcome != ALIVE else [(MED, _ln(rng, 3.0, 0.7))]
    elif pathway == SURGICAL:
        days = death_days(rng) if died else max(_ln(rng, 3.0 if urgent else 2.0, 0.7), 0.8)
        if not urgent and rng.random() < 0.12:
            plan = [(SURG, 0.4), (ICU, _ln(rng, 1.5, 0.6)), (SURG, days)]
        else:
            plan = [(SURG, max(days, 0.6))]
    elif pathway == PAEDIATRIC:
        plan = [(PED, max(_ln(rng, 2.8, 0.7), 0.3))]
    else:
        plan = [(MAT, _ln(rng, 2.0, 0.3) + (0.4 if cesarean else 0.0))]
    return [[unit, max(int(days * DAY), HOUR)] for unit, days in plan]


def expected_unit_days(rng: np.random.Generator, samples: int = 3000) -> np.ndarray:
    """Mean bed-days each pathway spends in each unit, estimated by sampling.

    Returns:
        A ``(5 units, 5 pathways)`` matrix.
    """
    out = np.zeros((5, 5))
    for pathway in range(5):
        died_p, moved_p = OUTCOME_P[pathway]
        for _ in range(samples):
            roll = rng.random()
            outcome = DIED if roll < died_p else TRANSFERRED if roll < died_p + moved_p else ALIVE
            urgent = rng.random() < URGENT_SHARE[pathway]
            for unit, seconds in segments(rng, pathway, outcome, urgent):
                out[unit, pathway] += seconds / DAY
    return out / samples


def daytime_discharge(rng: np.random.Generator, admit: int, plan: list[list[int]]) -> None:
    """Move a living patient's planned discharge to a daytime hour (rounds end by midday).

    Changes the last segment's duration in place.
    """
    end = admit + sum(seconds for _, seconds in plan)
    clock = int(np.clip(rng.normal(13.5, 2.5), 8, 21) * HOUR) + int(rng.integers(0, HOUR))
    new_end = end // DAY * DAY + clock
    while new_end - (end - plan[-1][1]) < 2 * HOUR or new_end - admit < 4 * HOUR:
        new_end += DAY
    plan[-1][1] = new_end - (end - plan[-1][1])


def split_bed_change(rng: np.random.Generator, plan: list[list[int]]) -> None:
    """Split the last segment in two (a bed change inside the same unit), in place."""
    unit, seconds = plan[-1]
    if seconds < 2 * DAY:
        return
    first = int(seconds * rng.uniform(0.2, 0.7))
    plan[-1] = [unit, first]
    plan.append([unit, seconds - first])
