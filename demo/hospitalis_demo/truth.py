"""Ground truth: the indicator values of docs/CONTRACTS.md computed from the simulation itself.

Computed with numpy and the canonical meanings from ``codes``, before any defect is injected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo.timeline import DAY, NAT, Horizon

SAIDAS = ("alta", "obito", "transferencia_externa")
KINDS, PRIORITIES = ("lab", "imaging"), ("routine", "urgent")


@dataclass
class ExamTat:
    """Turnaround of resulted exams, accumulated chunk by chunk."""

    month: list[np.ndarray] = field(default_factory=list)
    group: list[np.ndarray] = field(default_factory=list)  # kind * 2 + priority
    seconds: list[np.ndarray] = field(default_factory=list)

    def add(
        self,
        month: np.ndarray,
        imaging: np.ndarray,
        urgent: np.ndarray,
        ordered: np.ndarray,
        resulted: np.ndarray,
    ) -> None:
        """Keep the resulted orders of a chunk."""
        done = resulted != NAT
        self.month.append(month[done].astype(np.int16))
        self.group.append((imaging[done] * 2 + urgent[done]).astype(np.int8))
        self.seconds.append((resulted[done] - ordered[done]).astype(np.int64))


def _covered_midnights(start: np.ndarray, end: np.ndarray, horizon: Horizon) -> np.ndarray:
    """Per day D, how many ``[start, end)`` intervals contain the midnight closing D."""
    n = horizon.n_days
    first = np.ceil((start - horizon.t0) / DAY).astype(np.int64) - 1
    stop = np.where(end == NAT, n, np.ceil((end - horizon.t0) / DAY).astype(np.int64) - 1)
    first, stop = np.clip(first, 0, n), np.clip(stop, 0, n)
    diff = np.zeros(n + 1, dtype=np.int64)
    ok = stop > first
    np.add.at(diff, first[ok], 1)
    np.add.at(diff, stop[ok], -1)
    return np.cumsum(diff)[:n]


def patient_days(admitted: np.ndarray, discharged: np.ndarray, horizon: Horizon) -> np.ndarray:
    """Patient-days of each day D.

    Stays admitted before and still there at the midnight closing D
    (``admitted < D+1 <= discharged``), plus stays that began and ended within D.
    """
    n = horizon.n_days
    first = np.clip((admitted - horizon.t0) // DAY, 0, n)
    stop = np.where(discharged == NAT, n, (discharged - horizon.t0) // DAY)
    stop = np.clip(stop, 0, n)
    diff = np.zeros(n + 1, dtype=np.int64)
    ok = stop > first
    np.add.at(diff, first[ok], 1)
    np.add.at(diff, stop[ok], -1)
    same_day = (discharged != NAT) & (stop == first)
    return np.cumsum(diff)[:n] + np.bincount(first[same_day], minlength=n + 1)[:n]


def bed_days(
    period_bed: np.ndarray,
    status: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    move_bed: np.ndarray,
    move_start: np.ndarray,
    move_end: np.ndarray,
    horizon: Horizon,
) -> np.ndarray:
    """Operational bed-days: operational at the midnight, or extra and occupied then."""
    operational = status == "operational"
    total = _covered_midnights(start[operational], end[operational], horizon)
    for i in np.flatnonzero(status == "extra"):
        extra = _covered_midnights(start[i : i + 1], end[i : i + 1], horizon) > 0
        on_bed = move_bed == period_bed[i]
        occupied = _covered_midnights(move_start[on_bed], move_end[on_bed], horizon) > 0
        total = total + (extra & occupied)
    return total


def _row(indicator: str, period, measure: str, value: float, **dims) -> dict:
    return {
        "indicator": indicator,
        "period": str(period),
        "dimensions": dict(sorted(dims.items())),
        "measure": measure,
        "value": float(value),
    }


def census(
    horizon: Horizon,
    enc: dict[str, np.ndarray],
    beds: dict[str, np.ndarray],
    moves: dict[str, np.ndarray],
) -> list[dict]:
    """occupancy_rate and average_length_of_stay per month of census days."""
    discharge_map = codes.canonical_map(codes.DISCHARGE_REASONS)
    inpatient = (enc["ie_tipo_atendimento"] == codes.INPATIENT) & (enc["ie_situacao"] == "A")
    adm, dis = enc["dt_entrada"][inpatient], enc["dt_alta"][inpatient]
    kind = np.array(
        [discharge_map.get(str(c)) if c != NAT else None for c in enc["cd_motivo_alta"][inpatient]],
        dtype=object,
    )
    first_day = int(horizon.day_index(adm.min()))
    data_end = int(horizon.day_index(enc["dt_entrada"][enc["dt_entrada"] != NAT].max()))
    pd_day = patient_days(adm, dis, horizon)
    status_map = codes.canonical_map(codes.BED_STATUS)
    status = np.array([status_map[s] for s in beds["ie_status"]], dtype=object)
    bd_day = bed_days(
        beds["cd_leito"],
        status,
        beds["dt_inicio"],
        beds["dt_fim"],
        moves["cd_leito"],
        moves["dt_entrada_leito"],
        moves["dt_saida_leito"],
        horizon,
    )
    days = np.arange(first_day, data_end + 1)
    day_month = horizon.month_of(horizon.t0 + days * DAY)
    saida = (dis != NAT) & np.isin(kind, SAIDAS)
    saida_month = np.bincount(horizon.month_of(dis[saida]), minlength=len(horizon.month_starts()))
    rows_occ, rows_alos = [], []
    for m in np.unique(day_month):
        in_month = days[day_month == m]
        pdays, bdays = pd_day[in_month].sum(), bd_day[in_month].sum()
        period = horizon.month_starts()[m]
        rows_occ.append(_row("occupancy_rate", period, "value", pdays / bdays * 100.0))
        if saida_month[m]:
            rows_alos.append(
                _row("average_length_of_stay", period, "value", pdays / saida_month[m])
            )
    return rows_occ + rows_alos


def quantile_rows(
    indicator: str, horizon: Horizon, month: np.ndarray, minutes: np.ndarray, **dims
) -> list[dict]:
    """p50 and p90 (linear interpolation, as DuckDB's quantile_cont) per month."""
    rows = []
    for m in np.unique(month):
        values = minutes[month == m]
        period = horizon.month_starts()[m]
        for measure, q in (("p50", 0.5), ("p90", 0.9)):
            rows.append(
                _row(indicator, period, measure, np.quantile(values, q, method="linear"), **dims)
            )
    return rows


def door_to_triage(horizon: Horizon, arrival: np.ndarray, triage: np.ndarray) -> list[dict]:
    """Minutes from arrival to the start of the first triage, by month of arrival."""
    ok = (arrival != NAT) & (triage != NAT)
    minutes = (triage[ok] - arrival[ok]) / 60.0
    return quantile_rows("door_to_triage", horizon, horizon.month_of(arrival[ok]), minutes)


def exam_turnaround(horizon: Horizon, tat: ExamTat) -> list[dict]:
    """Minutes from order to result by month of order, kind and priority."""
    month, group = np.concatenate(tat.month), np.concatenate(tat.group)
    minutes = np.concatenate(tat.seconds) / 60.0
    rows = []
    for g in range(4):
        sel = group == g
        rows += quantile_rows(
            "exam_turnaround",
            horizon,
            month[sel],
            minutes[sel],
            kind=KINDS[g // 2],
            priority=PRIORITIES[g % 2],
        )
    return sorted(
        rows,
        key=lambda r: (
            r["period"],
            r["dimensions"]["kind"],
            r["dimensions"]["priority"],
            r["measure"],
        ),
    )
