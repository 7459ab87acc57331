"""Who is who: the patient of every visit and stay.

Patients of visits (many come back), patients of stays (readmissions within 30 days are made on
purpose), and no patient in two places at once.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from hospitalis_demo.allocation import Allocation
from hospitalis_demo.demand import DIRECT, FROM_ER, Stays
from hospitalis_demo.er import ErVisits
from hospitalis_demo.outpatient import OutpatientVisits
from hospitalis_demo.pathways import ALIVE, OBSTETRIC, PAEDIATRIC
from hospitalis_demo.people import UNKNOWN_BIRTH, PatientRegistry
from hospitalis_demo.timeline import DAY, NAT

RETURN_P = (0.30, 0.65, 0.55)  # ER, consultation, lab visit: share of known patients
PROFILE = np.array(["er", "clinic", "lab"], dtype=object)


def assign_visits(
    rng: np.random.Generator, registry: PatientRegistry, er: ErVisits, outpatient: OutpatientVisits
) -> None:
    """Give every ER and outpatient visit a patient.

    A new one or someone seen before (recent patients return more often).
    """
    times = np.concatenate([er.arrival, outpatient.arrival])
    source = np.concatenate(
        [np.zeros(len(er), dtype=np.int64), np.where(outpatient.kind == 8, 1, 2)]
    )
    order = np.argsort(times, kind="stable")
    n = len(order)
    is_new = rng.random(n) >= np.array(RETURN_P)[source[order]]
    if n:
        is_new[0] = True
    new_before = np.cumsum(is_new) - is_new
    ids = registry.add(rng, times[order][is_new], PROFILE[source[order][is_new]])
    kind = registry.column("kind")[ids]
    pick = np.minimum(
        (new_before * rng.random(n) ** 0.6).astype(np.int64), np.maximum(new_before - 1, 0)
    )
    # An unidentified patient cannot be recognised on a later visit: take a neighbour.
    unknown = kind[pick] == 3
    pick[unknown] = np.maximum(pick[unknown] - 1, 0)
    patient_sorted = np.where(is_new, ids[np.cumsum(is_new) - 1], ids[pick])
    patient = np.empty(n, dtype=np.int64)
    patient[order] = patient_sorted
    er.patient = patient[: len(er)]
    outpatient.patient = patient[len(er) :]


def visit_age(registry: PatientRegistry, patient: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Age in years at ``when`` (NaN when the birth date is unknown)."""
    birth = registry.column("birth_day")[patient]
    age = (when // DAY - birth) / 365.25
    return np.where(birth == UNKNOWN_BIRTH, np.nan, age)


def _group(pathway: int) -> int:
    return 1 if pathway == PAEDIATRIC else 2 if pathway == OBSTETRIC else 0


def stay_patients(
    rng: np.random.Generator,
    registry: PatientRegistry,
    stays: Stays,
    alloc: Allocation,
    er: ErVisits,
) -> np.ndarray:
    """The patient of each stay.

    The ER visit's patient, a new one, or -- for about 7 % of urgent stays -- someone discharged
    alive in the previous 30 days (a readmission).

    Returns:
        Patient per stay (``-1`` for stays never admitted). ER visits are relabelled to match.
    """
    n = len(stays)
    patient = np.full(n, -1, dtype=np.int64)
    admitted = alloc.admitted
    for s in np.flatnonzero(admitted != NAT):
        if stays.er_visit[s] >= 0:
            patient[s] = er.patient[stays.er_visit[s]]
    need_new = np.flatnonzero((admitted != NAT) & (patient < 0))
    profiles = np.array(
        [("adult", "child", "maternity")[_group(stays.pathway[s])] for s in need_new], dtype=object
    )
    for profile in ("adult", "child", "maternity"):
        rows = need_new[profiles == profile]
        patient[rows] = registry.add(rng, admitted[rows], profile, female=profile == "maternity")
    _relabel(rng, registry, stays, alloc, patient, er)
    for s in np.flatnonzero(admitted != NAT):
        if stays.er_visit[s] >= 0:
            er.patient[stays.er_visit[s]] = patient[s]
    return patient


def _relabel(
    rng: np.random.Generator,
    registry: PatientRegistry,
    stays: Stays,
    alloc: Allocation,
    patient: np.ndarray,
    er: ErVisits,
) -> None:
    """Make readmissions and remove overlapping stays of one patient, in admission order.

    A stay from the ER counts from the ER arrival: its patient must have left any earlier
    stay before arriving.
    """
    admitted, discharged = alloc.admitted, alloc.discharged
    order = [int(s) for s in np.argsort(admitted, kind="stable") if admitted[s] != NAT]
    by_exit = sorted((int(discharged[s]), s) for s in order if discharged[s] != NAT)
    busy_until: dict[int, int] = {}  # patient -> discharge of the latest stay (max if open)
    recent: list[deque[tuple[int, int]]] = [deque(), deque(), deque()]  # (discharge, stay)
    used: set[int] = set()
    cursor = 0
    for s in order:
        visit = stays.er_visit[s]
        t = int(er.arrival[visit]) if visit >= 0 else int(admitted[s])
        while cursor < len(by_exit) and by_exit[cursor][0] < t:
            exit_t, prior = by_exit[cursor]
            if stays.outcome[prior] == ALIVE:
                recent[_group(stays.pathway[prior])].append((exit_t, prior))
            cursor += 1
        group = _group(stays.pathway[s])
        while recent[group] and recent[group][0][0] <= t - 30 * DAY:
            recent[group].popleft()
        urgent = stays.origin[s] in (FROM_ER, DIRECT)
        if group != 2 and rng.random() < (0.07 if urgent else 0.02):
            pool = [
                (e, p)
                for e, p in recent[group]
                if p not in used and busy_until.get(int(patient[p])) == e
            ]
            if pool:
                _, prior = pool[int(rng.integers(len(pool)))]
                used.add(prior)
                patient[s] = patient[prior]
        if busy_until.get(int(patient[s]), -1) > t:
            profile = ("adult", "child", "maternity")[group]
            patient[s] = registry.add(rng, np.array([t]), profile, female=group == 2)[0]
        end = int(discharged[s]) if discharged[s] != NAT else np.iinfo(np.int64).max
        busy_until[int(patient[s])] = end


def free_visits(
    rng: np.random.Generator,
    registry: PatientRegistry,
    when: np.ndarray,
    patient: np.ndarray,
    profile: str,
    stay_patient: np.ndarray,
    admitted: np.ndarray,
    discharged: np.ndarray,
) -> np.ndarray:
    """Give a new patient to visits made by someone who was in a ward bed at the time.

    Returns:
        The corrected patient array (a copy).
    """
    fixed = patient.copy()
    ok = admitted != NAT
    if not ok.any() or not len(patient):
        return fixed
    base = int(admitted[ok].min())
    end = np.where(discharged[ok] == NAT, np.iinfo(np.int64).max, discharged[ok])
    key = stay_patient[ok] * (1 << 32) + (admitted[ok] - base)
    order = np.argsort(key, kind="stable")
    probe = patient * (1 << 32) + np.clip(when - base, 0, (1 << 32) - 1)
    pos = np.searchsorted(key[order], probe, side="right") - 1
    idx = order[np.clip(pos, 0, None)]
    hit = (pos >= 0) & (stay_patient[ok][idx] == patient) & (end[idx] > when)
    if hit.any():
        fixed[hit] = registry.add(rng, when[hit], profile)
    return fixed


def death_times(size: int, patient: np.ndarray, died_at: np.ndarray) -> np.ndarray:
    """Per patient (registration index), when they died (int64 max if alive)."""
    death = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(death, patient, died_at)
    return death


def after_death(
    rng: np.random.Generator,
    registry: PatientRegistry,
    when: np.ndarray,
    patient: np.ndarray,
    death: np.ndarray,
    profile: str,
) -> np.ndarray:
    """A new patient for visits made after their patient's recorded death.

    Returns:
        The corrected patient array (a copy).
    """
    fixed = patient.copy()
    known = patient < len(death)
    hit = np.zeros(len(patient), dtype=bool)
    hit[known] = when[known] > death[patient[known]]
    if hit.any():
        fixed[hit] = registry.add(rng, when[hit], profile)
    return fixed
