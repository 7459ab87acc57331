"""Exam orders month by month: the sources of each month's orders and the finished rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from hospitalis_demo import codes, exams, tables_ops
from hospitalis_demo.rng import stream
from hospitalis_demo.simulate import Simulation
from hospitalis_demo.timeline import NAT, Horizon
from hospitalis_demo.truth import ExamTat
from hospitalis_demo.turnaround import IS_IMAGING, turnaround


@dataclass
class Sources:
    """Where orders come from, each with the time that places it in a month."""

    ward: dict[str, np.ndarray]
    er: dict[str, np.ndarray]
    visits: dict[str, np.ndarray]


def sources(sim: Simulation, moves: dict[str, np.ndarray]) -> Sources:
    """Bed occupations, ER visits seen by a doctor, consultations and collection visits."""
    t_end = sim.horizon.t_end
    unit_of_bed = dict(zip(sim.inventory.code.tolist(), sim.inventory.unit.tolist(), strict=True))
    ward = {
        "encounter": moves["cd_atendimento"],
        "start": moves["dt_entrada_leito"],
        "end": np.where(moves["dt_saida_leito"] == NAT, t_end, moves["dt_saida_leito"]),
        "unit": np.array([unit_of_bed[b] for b in moves["cd_leito"].tolist()], dtype=np.int64),
    }
    ward["anchor"] = ward["start"]
    seen = sim.er.doctor != NAT
    er = {
        "encounter": sim.encounters.er_id[seen],
        "doctor": sim.er.doctor[seen],
        "left": np.where(sim.er.left[seen] == NAT, t_end, sim.er.left[seen]),
        "colour": sim.er.colour[seen].astype(np.int64),
    }
    er["anchor"] = er["doctor"]
    op = sim.outpatient
    came = ~op.cancelled
    is_lab = op.kind[came] == codes.EXTERNAL
    when = np.where(is_lab, op.arrival[came], op.left[came] - 60)
    visits = {
        "encounter": sim.encounters.outpatient_id[came],
        "when": when,
        "lab": is_lab,
        "anchor": when,
    }
    return Sources(ward, er, visits)


def _month_rows(src: dict[str, np.ndarray], month: np.ndarray, m: int) -> dict:
    rows = month == m
    return {k: v[rows] for k, v in src.items()}


def chunks(
    seed: int, scale: float, horizon: Horizon, src: Sources, tat: ExamTat
) -> Iterator[dict[str, np.ndarray]]:
    """``pedido_exame`` rows, one month of sources at a time, with sequential ids.

    Also records each resulted order's turnaround into ``tat``.
    """
    months = {
        name: horizon.month_of(getattr(src, name)["anchor"]) for name in ("ward", "er", "visits")
    }
    next_id = 1
    for m in range(len(horizon.month_starts())):
        rng = stream(seed, "exams", m)
        w = _month_rows(src.ward, months["ward"], m)
        e = _month_rows(src.er, months["er"], m)
        v = _month_rows(src.visits, months["visits"], m)
        orders = exams.Orders.concat(
            [
                exams.ward_orders(rng, w["encounter"], w["start"], w["end"], w["unit"], scale),
                exams.er_orders(rng, e["encounter"], e["doctor"], e["left"], e["colour"]),
                exams.visit_orders(rng, v["encounter"], v["when"], v["lab"]),
            ]
        )
        keep = orders.ordered < horizon.t_end
        order = np.lexsort((orders.encounter[keep], orders.ordered[keep]))
        orders = exams.Orders(
            *(
                getattr(orders, f)[keep][order]
                for f in ("encounter", "ordered", "exam", "urgent", "source")
            )
        )
        times = turnaround(rng, orders, horizon.t_end)
        tat.add(
            horizon.month_of(orders.ordered),
            IS_IMAGING[orders.exam],
            orders.urgent.astype(np.int64),
            orders.ordered,
            times.resulted,
        )
        cols = tables_ops.exams(rng, orders, times, next_id, horizon.t_end)
        next_id += len(orders.ordered)
        yield cols
