"""All encounters in one table (``atendimento``), numbered in order of entry.

ER visits, consultations, collection visits, inpatient stays and a few cancelled duplicate
registrations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo import er as er_model
from hospitalis_demo.allocation import Allocation
from hospitalis_demo.demand import CENSUS, ELECTIVE, Stays
from hospitalis_demo.outpatient import OutpatientVisits
from hospitalis_demo.pathways import DIED, TRANSFERRED
from hospitalis_demo.rng import lognormal
from hospitalis_demo.timeline import MINUTE, NAT

# CID-10 codes as the ERP stores them (DATASUS style, mostly without the dot).
ER_CIDS = (
    ("I219", "I469", "R570", "S069", "J960"),
    ("I200", "J189", "R074", "K358", "N390"),
    ("R104", "J189", "N23", "A09", "R51"),
    ("J069", "A09", "M545", "R51", "T140"),
    ("J00", "Z760", "M545", "L029", "H109"),
)
STAY_CIDS = (
    ("J189", "I500", "N390", "A419", "I639", "E119", "J441"),
    ("A419", "I219", "J960", "I639", "R570"),
    ("K802", "K409", "K358", "N200", "M171", "C189"),
    ("J219", "J189", "A09", "J459", "N390"),
    ("O800", "O82", "O800", "O471"),
)
CLINIC_CIDS = ("I10", "E119", "M545", "Z000", "K210", "F329", "N400", "E039")
LAB_CIDS = ("Z000", "Z017", "E119", "I10", "Z348")


@dataclass
class Encounters:
    """Column arrays of ``atendimento`` rows (sorted by id) and where each came from."""

    columns: dict[str, np.ndarray]
    er_id: np.ndarray  # encounter id of each ER visit
    outpatient_id: np.ndarray
    stay_id: np.ndarray  # -1 for stays never admitted


def _cids(rng: np.random.Generator, groups: np.ndarray, table: tuple) -> np.ndarray:
    out = np.empty(len(groups), dtype=object)
    for g, choices in enumerate(table):
        rows = groups == g
        out[rows] = rng.choice(np.array(choices, dtype=object), int(rows.sum()))
    dotted = rng.random(len(out)) < 0.1
    out[dotted] = [c[:3] + "." + c[3:] if len(c) > 3 else c for c in out[dotted]]
    return out


def _er_reasons(rng: np.random.Generator, outcome: np.ndarray, left: np.ndarray) -> np.ndarray:
    by_outcome = np.array([11, 16, 14, 31, 41, 51])[outcome]
    healed = (outcome == er_model.DISCHARGED) & (rng.random(len(outcome)) < 0.75)
    reason = np.where(healed, 12, by_outcome)
    return np.where(left == NAT, NAT, reason)


def _stay_reasons(rng: np.random.Generator, outcome: np.ndarray, discharged: np.ndarray):
    n = len(outcome)
    alive = rng.choice([12, 11, 14, 15, 16, 18, 19], n, p=[0.65, 0.2, 0.04, 0.06, 0.01, 0.01, 0.03])
    dead = rng.choice([41, 43, 42], n, p=[0.7, 0.25, 0.05])
    reason = np.where(outcome == DIED, dead, np.where(outcome == TRANSFERRED, 31, alive))
    return np.where(discharged == NAT, NAT, reason)


def _character(rng: np.random.Generator, elective: np.ndarray) -> np.ndarray:
    urgent = rng.choice(
        np.array(["02", "03", "04", "05", "06"], dtype=object),
        len(elective),
        p=[0.92, 0.02, 0.01, 0.03, 0.02],
    )
    return np.where(elective, "01", urgent).astype(object)


def _block(n: int, **cols) -> dict[str, np.ndarray]:
    """One source's rows, broadcasting scalars."""
    return {
        k: (
            np.full(n, v, dtype=object if isinstance(v, str) or v is None else np.int64)
            if np.isscalar(v) or v is None
            else np.asarray(v)
        )
        for k, v in cols.items()
    }


def _er_block(rng, er: er_model.ErVisits, payer: np.ndarray, age: np.ndarray) -> dict:
    sector = np.where(age < 14, codes.ER_CHILD, codes.ER_ADULT)
    return _block(
        len(er),
        src=0,
        patient=er.patient,
        ie_tipo_atendimento=codes.EMERGENCY,
        ie_situacao="A",
        ie_carater_inter=_character(rng, np.zeros(len(er), bool)),
        dt_entrada=er.arrival,
        dt_atend_medico=er.doctor,
        dt_alta=er.left,
        cd_motivo_alta=_er_reasons(rng, er.outcome, er.left),
        cd_setor_atendimento=sector,
        cd_cid_principal=_cids(rng, er.colour, ER_CIDS),
        cd_convenio=payer[er.patient],
        dt_cancelamento=NAT,
    )


def _outpatient_block(rng, op: OutpatientVisits, payer: np.ndarray) -> dict:
    n, lab = len(op), op.kind == codes.EXTERNAL
    reason = np.where(lab, 18, np.where(rng.random(n) < 0.6, 15, 12))
    cid = _cids(rng, lab.astype(np.int64), (CLINIC_CIDS, LAB_CIDS))
    cid[lab & (rng.random(n) < 0.5)] = None
    cancel = op.arrival + rng.integers(60 * MINUTE, 180 * MINUTE, n)
    return _block(
        n,
        src=1,
        patient=op.patient,
        ie_tipo_atendimento=op.kind.astype(np.int64),
        ie_situacao=np.where(op.cancelled, "C", "A").astype(object),
        ie_carater_inter="01",
        dt_entrada=op.arrival,
        dt_atend_medico=op.doctor,
        dt_alta=op.left,
        cd_motivo_alta=np.where(op.cancelled, NAT, reason),
        cd_setor_atendimento=np.where(lab, codes.LAB_SECTOR, codes.CLINIC_SECTOR),
        cd_cid_principal=cid,
        cd_convenio=payer[op.patient],
        dt_cancelamento=np.where(op.cancelled, cancel, NAT),
    )


def _stay_block(
    rng,
    stays: Stays,
    alloc: Allocation,
    patient: np.ndarray,
    payer: np.ndarray,
    first_sector: np.ndarray,
    t_end: int,
) -> tuple[dict, np.ndarray]:
    rows = np.flatnonzero(alloc.admitted != NAT)
    origin = np.asarray(stays.origin)[rows]
    adm, dis = alloc.admitted[rows], alloc.discharged[rows]
    character = _character(rng, origin == ELECTIVE)
    census_elective = (origin == CENSUS) & (rng.random(len(rows)) < 0.2)
    character[census_elective] = "01"
    first_seen = adm + (lognormal(rng, 45.0, 0.6, len(rows)) * MINUTE).astype(np.int64)
    limit = np.where(dis == NAT, t_end, dis)
    first_seen = np.where(first_seen < limit, first_seen, NAT)
    block = _block(
        len(rows),
        src=2,
        patient=patient[rows],
        ie_tipo_atendimento=codes.INPATIENT,
        ie_situacao="A",
        ie_carater_inter=character,
        dt_entrada=adm,
        dt_atend_medico=first_seen,
        dt_alta=dis,
        cd_motivo_alta=_stay_reasons(rng, np.asarray(stays.outcome)[rows], dis),
        cd_setor_atendimento=first_sector[rows],
        cd_cid_principal=_cids(rng, np.asarray(stays.pathway)[rows], STAY_CIDS),
        cd_convenio=payer[patient[rows]],
        dt_cancelamento=NAT,
    )
    return block, rows


def _duplicates(rng, stay: dict) -> dict:
    """Admissions registered twice by mistake; the copy was cancelled minutes later."""
    pick = np.flatnonzero(rng.random(len(stay["dt_entrada"])) < 0.004)
    dup = {k: v[pick].copy() for k, v in stay.items()}
    dup["src"][:] = 3
    dup["ie_situacao"][:] = "C"
    dup["dt_entrada"] = dup["dt_entrada"] - rng.integers(5 * MINUTE, 25 * MINUTE, len(pick))
    dup["dt_cancelamento"] = dup["dt_entrada"] + rng.integers(2 * MINUTE, 40 * MINUTE, len(pick))
    for col in ("dt_atend_medico", "dt_alta", "cd_motivo_alta"):
        dup[col][:] = NAT
    return dup


def build(
    rng: np.random.Generator,
    er: er_model.ErVisits,
    er_age: np.ndarray,
    op: OutpatientVisits,
    stays: Stays,
    alloc: Allocation,
    stay_patient: np.ndarray,
    first_sector: np.ndarray,
    payer: np.ndarray,
    t_end: int,
) -> Encounters:
    """Number and assemble every encounter.

    Args:
        rng: The encounters' random stream.
        er: Every ER visit.
        er_age: Age of each ER visit's patient.
        op: Every outpatient visit.
        stays: Every inpatient stay.
        alloc: The beds each stay occupied.
        stay_patient: The patient (registration index) of each stay.
        first_sector: Sector of each stay's first bed.
        payer: ``cd_convenio`` of each patient (registration index).
        t_end: The end of the simulated period (the snapshot).
    """
    stay, stay_rows = _stay_block(rng, stays, alloc, stay_patient, payer, first_sector, t_end)
    blocks = [
        _er_block(rng, er, payer, er_age),
        _outpatient_block(rng, op, payer),
        stay,
        _duplicates(rng, stay),
    ]
    sizes = np.cumsum([0] + [len(b["src"]) for b in blocks])
    order = np.lexsort(
        (
            np.concatenate([b["src"] for b in blocks]),
            np.concatenate([b["dt_entrada"] for b in blocks]),
        )
    )
    cols = {k: np.concatenate([b.pop(k) for b in blocks])[order] for k in list(blocks[0])}
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = np.arange(1, len(order) + 1)
    stay_id = np.full(len(stays), -1, dtype=np.int64)
    stay_id[stay_rows] = ids[sizes[2] : sizes[3]]
    er_id = ids[: sizes[1]]
    visit = np.asarray(stays.er_visit)
    origin = np.full(len(order), NAT, dtype=np.int64)
    has = stay_id >= 0
    origin_of_stay = np.where(visit[has] >= 0, er_id[np.maximum(visit[has], 0)], NAT)
    origin[stay_id[has] - 1] = origin_of_stay
    cols["cd_atendimento"] = np.arange(1, len(order) + 1, dtype=np.int64)
    cols["nr_atendimento_origem"] = origin
    last = np.max(
        np.vstack(
            [cols[c] for c in ("dt_entrada", "dt_atend_medico", "dt_alta", "dt_cancelamento")]
        ),
        axis=0,
    )
    lag = (lognormal(rng, 4.0, 0.8, len(order)) * MINUTE).astype(np.int64) + 5
    cols["dt_atualizacao"] = np.minimum(last + lag, t_end - 1)
    return Encounters(
        columns=cols, er_id=er_id, outpatient_id=ids[sizes[1] : sizes[2]], stay_id=stay_id
    )
