"""The whole hospital simulation.

Everything but the exam orders, which are generated per month while writing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospitalis_demo import allocation, beds, billing, demand, encounters, identity, surgery
from hospitalis_demo import er as er_model
from hospitalis_demo import outpatient as outpatient_model
from hospitalis_demo.codes import INPATIENT, PAYERS
from hospitalis_demo.pathways import CRITICAL, DIED, OBSTETRIC
from hospitalis_demo.people import PatientRegistry
from hospitalis_demo.rng import lognormal, stream
from hospitalis_demo.timeline import DAY, HOUR, NAT, Horizon


@dataclass(frozen=True)
class Params:
    """What determines the data (with the horizon)."""

    seed: int
    beds: int
    scale: float


@dataclass
class Simulation:
    """The simulated hospital."""

    horizon: Horizon
    inventory: beds.BedInventory
    er: er_model.ErVisits
    outpatient: outpatient_model.OutpatientVisits
    registry: PatientRegistry
    stays: demand.Stays
    alloc: allocation.Allocation
    encounters: encounters.Encounters
    surgeries: surgery.Surgeries
    accounts: billing.Accounts
    er_retriage: tuple[np.ndarray, ...]


def _admit_from_er(er: er_model.ErVisits, stays: demand.Stays, alloc: allocation.Allocation):
    """ER visits that became stays leave the ER at admission (or are still boarding)."""
    visit = np.asarray(stays.er_visit)
    has = visit >= 0
    er.outcome[visit[has]] = er_model.ADMITTED
    er.left[visit[has]] = alloc.admitted[has]


def _fix_identities(p: Params, registry, er, op, stays, alloc, stay_patient) -> None:
    """Nobody comes back after dying, and nobody visits while in a ward bed."""
    rng = stream(p.seed, "identity-fix")
    dead_stay = (np.asarray(stays.outcome) == DIED) & (alloc.discharged != NAT)
    dead_er = er.outcome == er_model.DIED
    death = identity.death_times(
        registry.size,
        np.concatenate([stay_patient[dead_stay], er.patient[dead_er]]),
        np.concatenate([alloc.discharged[dead_stay], er.left[dead_er]]),
    )
    admitted = np.flatnonzero(alloc.admitted != NAT)
    visit = np.asarray(stays.er_visit)[admitted]
    since = np.where(visit >= 0, er.arrival[np.maximum(visit, 0)], alloc.admitted[admitted])
    fixed = identity.after_death(rng, registry, since, stay_patient[admitted], death, "adult")
    stay_patient[admitted] = fixed
    er.patient[visit[visit >= 0]] = fixed[visit >= 0]
    linked = np.zeros(len(er), dtype=bool)
    linked[visit[visit >= 0]] = True
    for visits, profile, mask in ((er, "er", ~linked), (op, "clinic", None)):
        rows = np.flatnonzero(mask) if mask is not None else np.arange(len(visits))
        patient = identity.after_death(
            rng, registry, visits.arrival[rows], visits.patient[rows], death, profile
        )
        visits.patient[rows] = identity.free_visits(
            rng,
            registry,
            visits.arrival[rows],
            patient,
            profile,
            stay_patient,
            alloc.admitted,
            alloc.discharged,
        )


def _newborns(p: Params, registry, stays, alloc, t_end: int) -> None:
    rng = stream(p.seed, "newborns")
    rows = np.flatnonzero((np.asarray(stays.pathway) == OBSTETRIC) & (alloc.admitted != NAT))
    birth = alloc.admitted[rows] + (lognormal(rng, 6.0, 0.6, len(rows)) * HOUR).astype(np.int64)
    limit = np.where(alloc.discharged[rows] == NAT, t_end, alloc.discharged[rows])
    registry.add(rng, birth[birth < limit], "newborn")


def _censor_er(er: er_model.ErVisits, t_end: int) -> None:
    for arr in (er.triage_start, er.triage_end, er.doctor, er.left):
        arr[arr >= t_end] = NAT


def _accounts(
    p: Params, enc: encounters.Encounters, stays: demand.Stays, t_end: int
) -> billing.Accounts:
    """One account per active encounter (an ER visit that became a stay is billed with it)."""
    c = enc.columns
    billable = (c["ie_situacao"] == "A") & (c["cd_motivo_alta"] != 51)
    rows = np.flatnonzero(billable)
    kind = c["ie_tipo_atendimento"][rows]
    cost = np.select([kind == 3, kind == 8, kind == 7], [380.0, 220.0, 160.0], 0.0)
    stay_of_row = np.full(len(c["cd_atendimento"]), -1, dtype=np.int64)
    admitted = enc.stay_id >= 0
    stay_of_row[enc.stay_id[admitted] - 1] = np.flatnonzero(admitted)
    inpatient = kind == INPATIENT
    stay = stay_of_row[rows[inpatient]]
    end = np.where(c["dt_alta"][rows[inpatient]] == NAT, t_end, c["dt_alta"][rows[inpatient]])
    days = np.maximum((end - c["dt_entrada"][rows[inpatient]]) / DAY, 1.0)
    critical = np.asarray(stays.pathway)[stay] == CRITICAL
    operated = np.asarray(stays.surgery)[stay] > 0
    cost[inpatient] = 1500.0 * days * np.where(critical, 2.5, 1.0) + 5000.0 * operated
    payer_idx = np.searchsorted([x.code for x in PAYERS], c["cd_convenio"][rows])
    return billing.build(
        stream(p.seed, "billing"),
        c["cd_atendimento"][rows],
        payer_idx,
        c["dt_alta"][rows],
        cost,
        t_end,
    )


def simulate(p: Params, horizon: Horizon) -> Simulation:
    """Run the hospital over the horizon (deterministic for the parameters)."""
    inventory = beds.build(stream(p.seed, "beds"), p.beds, horizon)
    er = er_model.simulate(stream(p.seed, "er"), horizon, p.beds, p.scale)
    op = outpatient_model.simulate(stream(p.seed, "outpatient"), horizon, p.beds, p.scale)
    registry = PatientRegistry()
    identity.assign_visits(stream(p.seed, "patients"), registry, er, op)
    rng = stream(p.seed, "er-deaths")
    dead = er.outcome == er_model.DIED
    death = identity.death_times(registry.size, er.patient[dead], er.left[dead])
    er.patient = identity.after_death(rng, registry, er.arrival, er.patient, death, "er")
    age = identity.visit_age(registry, er.patient, er.arrival)
    female = registry.column("sex")[er.patient] == 1
    stays = demand.build(stream(p.seed, "demand"), horizon, inventory.unit_beds(), er, age, female)
    alloc = allocation.allocate(stream(p.seed, "allocation"), stays, inventory, horizon)
    _admit_from_er(er, stays, alloc)
    stay_patient = identity.stay_patients(
        stream(p.seed, "stay-patients"), registry, stays, alloc, er
    )
    _fix_identities(p, registry, er, op, stays, alloc, stay_patient)
    _newborns(p, registry, stays, alloc, horizon.t_end)
    _censor_er(er, horizon.t_end)
    retriage = er_model.retriage(stream(p.seed, "retriage"), er)
    first_move = np.unique(np.asarray(alloc.move_stay), return_index=True)
    first_sector = np.zeros(len(stays), dtype=np.int64)
    first_sector[first_move[0]] = inventory.sector[np.asarray(alloc.move_bed)[first_move[1]]]
    payer = np.array([x.code for x in PAYERS])[registry.column("payer")]
    enc = encounters.build(
        stream(p.seed, "encounters"),
        er,
        identity.visit_age(registry, er.patient, er.arrival),
        op,
        stays,
        alloc,
        stay_patient,
        first_sector,
        payer,
        horizon.t_end,
    )
    surg = surgery.schedule(stream(p.seed, "surgery"), stays, alloc, horizon, p.beds)
    return Simulation(
        horizon,
        inventory,
        er,
        op,
        registry,
        stays,
        alloc,
        enc,
        surg,
        _accounts(p, enc, stays, horizon.t_end),
        retriage,
    )
