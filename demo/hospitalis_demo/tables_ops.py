"""Surgical centre, accounts and exam orders in Hospitalis's shape (column arrays)."""

from __future__ import annotations

from datetime import date

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo.billing import Accounts
from hospitalis_demo.exams import Orders
from hospitalis_demo.surgery import Surgeries
from hospitalis_demo.tables import updated
from hospitalis_demo.timeline import DAY, HOUR, NAT, Horizon
from hospitalis_demo.turnaround import ExamTimes

EXAM_CODE = np.array([e.code for e in codes.EXAMS], dtype=np.int64)
GLOSA_CODE = np.array([c for c, _ in codes.GLOSA_REASONS] + [None], dtype=object)  # -1: none


def rooms(n_rooms: int, horizon: Horizon) -> tuple[dict, dict]:
    """``sala_cirurgica`` and its opening hours; halfway through, rooms 1-2 extend to 22 h."""
    stamp = horizon.t0 + 60
    sala = {
        "cd_sala": np.arange(1, n_rooms + 1, dtype=np.int64),
        "ds_sala": np.array(
            [
                f"SALA {i + 1:02d}" + (" - URGENCIA" if i == n_rooms - 1 else "")
                for i in range(n_rooms)
            ],
            dtype=object,
        ),
        "ie_situacao": np.full(n_rooms, "A", dtype=object),
        "dt_atualizacao": np.full(n_rooms, stamp, dtype=np.int64),
    }
    start_day = horizon.t0 // DAY
    months = horizon.month_starts()
    change = (months[len(months) // 2] - date(1970, 1, 1)).days if len(months) > 2 else None
    rows = []
    for room in range(1, n_rooms + 1):
        urgent = room == n_rooms
        hours = (0, DAY - 1) if urgent else (7 * HOUR, 19 * HOUR)
        if change is not None and room <= 2 and not urgent:
            rows.append((room, start_day, change, *hours, change * DAY - 3 * DAY))
            rows.append((room, change, NAT, 7 * HOUR, 22 * HOUR, change * DAY - 3 * DAY))
        else:
            rows.append((room, start_day, NAT, *hours, stamp))
    cols = [np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)]
    names = (
        "cd_sala",
        "dt_inicio_vigencia",
        "dt_fim_vigencia",
        "hr_abertura",
        "hr_fechamento",
        "dt_atualizacao",
    )
    horario = dict(zip(names, cols, strict=True))
    horario["nr_sequencia"] = np.arange(1, len(rows) + 1, dtype=np.int64)
    return sala, horario


def surgeries(
    rng: np.random.Generator,
    surg: Surgeries,
    stay_id: np.ndarray,
    discharged: np.ndarray,
    t_end: int,
) -> dict[str, np.ndarray]:
    """``cirurgia``: bookings in order of schedule.

    Operations still running at the snapshot (or ending after the patient's discharge) are left
    out.
    """
    stay = np.asarray(surg.stay, dtype=np.int64)
    times = np.asarray(surg.times, dtype=np.int64).reshape(-1, 4)
    status = np.asarray(surg.status, dtype=np.int64)
    scheduled = np.asarray(surg.scheduled, dtype=np.int64)
    cancelled_at = np.asarray(surg.cancelled_at, dtype=np.int64)
    exit_t = np.where(stay >= 0, discharged[np.maximum(stay, 0)], NAT)
    exit_t = np.where(exit_t == NAT, t_end, exit_t)
    done = status == 3
    keep = np.where(done, times[:, 3] < exit_t, (scheduled < t_end) & (cancelled_at < t_end))
    order = np.flatnonzero(keep)[np.argsort(scheduled[keep], kind="stable")]
    encounter = np.where(stay[order] >= 0, stay_id[np.maximum(stay[order], 0)], NAT)
    reason = np.asarray(surg.reason, dtype=np.int64)[order]
    cols = {
        "nr_cirurgia": np.arange(1, len(order) + 1, dtype=np.int64),
        "cd_atendimento": encounter,
        "cd_sala": np.asarray(surg.room, dtype=np.int64)[order] + 1,
        "dt_agenda": scheduled[order],
        "dt_entrada_sala": times[order, 0],
        "dt_inicio_cirurgia": times[order, 1],
        "dt_fim_cirurgia": times[order, 2],
        "dt_saida_sala": times[order, 3],
        "ie_status": status[order],
        "cd_motivo_cancelamento": np.where(reason > 0, reason, NAT),
        "dt_cancelamento": cancelled_at[order],
    }
    cols["dt_atualizacao"] = updated(
        rng, cols["dt_saida_sala"], cols["dt_cancelamento"], cols["dt_agenda"] - DAY, t_end=t_end
    )
    return cols


def accounts(rng: np.random.Generator, acc: Accounts, t_end: int) -> dict[str, np.ndarray]:
    """``conta_paciente`` in order of encounter."""
    order = np.argsort(acc.encounter, kind="stable")
    reason = acc.reason[order]
    appeal = acc.appeal[order].astype(object)
    appeal[appeal == ""] = None
    cols = {
        "nr_interno_conta": np.arange(1, len(order) + 1, dtype=np.int64) + 500_000,
        "cd_atendimento": acc.encounter[order],
        "cd_convenio": acc.payer[order],
        "dt_fechamento": acc.closed[order],
        "dt_envio": acc.billed[order],
        "vl_conta": acc.amount[order],
        "vl_glosa": np.where(acc.denied[order] < 0, NAT, acc.denied[order]),
        "cd_motivo_glosa": GLOSA_CODE[reason],
        "ie_status_recurso": appeal,
        "dt_pagamento": acc.paid[order],
    }
    cols["dt_atualizacao"] = updated(
        rng, cols["dt_fechamento"], cols["dt_envio"], cols["dt_pagamento"], t_end=t_end
    )
    return cols


def exams(
    rng: np.random.Generator, orders: Orders, times: ExamTimes, first_id: int, t_end: int
) -> dict[str, np.ndarray]:
    """``pedido_exame`` rows of one chunk (already sorted by order time)."""
    n = len(orders.ordered)
    cols = {
        "nr_pedido": np.arange(first_id, first_id + n, dtype=np.int64),
        "cd_atendimento": orders.encounter,
        "cd_exame": EXAM_CODE[orders.exam],
        "ie_urgencia": np.where(orders.urgent, "S", "N").astype(object),
        "dt_pedido": orders.ordered,
        "dt_coleta": times.collected,
        "dt_realizacao": times.performed,
        "dt_resultado": times.resulted,
        "dt_liberacao": times.released,
    }
    cols["dt_atualizacao"] = updated(
        rng,
        orders.ordered,
        times.collected,
        times.performed,
        times.resulted,
        times.released,
        t_end=t_end,
    )
    return cols
