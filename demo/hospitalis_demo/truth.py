"""Ground truth: the indicator values of docs/CONTRACTS.md computed from the simulation itself.

Computed with numpy and the canonical meanings from ``codes``, before any defect is injected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo.timeline import DAY, HOUR, NAT, Horizon

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
    bed_units: dict[int, str],
) -> list[dict]:
    """occupancy_rate per month of census days: the hospital's and each unit's.

    Per unit: beds of the unit occupied at the census (bed movements) over the unit's
    operational bed-days; ``bed_units`` maps each bed (cd_leito) to its canonical unit.
    """
    months, pdays, bdays, _ = census_months(horizon, enc, beds, moves)
    rows = [
        _row("occupancy_rate", horizon.month_starts()[m], "value", p / b * 100.0)
        for m, p, b in zip(months, pdays, bdays, strict=True)
    ]
    days, day_month = census_days(horizon, enc)
    status = canonical_bed_status(beds)
    period_unit = np.array([bed_units.get(int(b)) for b in beds["cd_leito"]], dtype=object)
    unit_map = codes.unit_map()
    move_unit = np.array([unit_map.get(str(s)) for s in moves["cd_setor"]], dtype=object)
    for unit in sorted({u for u in period_unit if u is not None}):
        mine = period_unit == unit
        unit_beds = bed_days(
            beds["cd_leito"][mine],
            status[mine],
            beds["dt_inicio"][mine],
            beds["dt_fim"][mine],
            moves["cd_leito"],
            moves["dt_entrada_leito"],
            moves["dt_saida_leito"],
            horizon,
        )
        here = move_unit == unit
        occupied = _covered_midnights(
            moves["dt_entrada_leito"][here], moves["dt_saida_leito"][here], horizon
        )
        for m in np.unique(day_month):
            in_month = days[day_month == m]
            b = unit_beds[in_month].sum()
            if b:
                value = occupied[in_month].sum() / b * 100.0
                rows.append(
                    _row("occupancy_rate", horizon.month_starts()[m], "value", value, unit=unit)
                )
    return rows


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


# --- the indicators added with the full catalog (docs/CONTRACTS.md, "Indicator values") ---


@dataclass(frozen=True)
class Exits:
    """The saidas of the simulation: active inpatient stays that left by alta, obito or transfer."""

    patient: np.ndarray  # the prontuario (the patient key before pseudonymisation)
    admitted: np.ndarray
    discharged: np.ndarray
    kind: np.ndarray  # alta, obito or transferencia_externa


def inpatient_exits(enc: dict[str, np.ndarray], patients: dict[str, np.ndarray]) -> Exits:
    """Every saida, with its patient's prontuario."""
    discharge_map = codes.canonical_map(codes.DISCHARGE_REASONS)
    inpatient = _inpatient(enc)
    kind = np.array(
        [discharge_map.get(str(c)) if c != NAT else None for c in enc["cd_motivo_alta"]],
        dtype=object,
    )
    saida = inpatient & (enc["dt_alta"] != NAT) & np.isin(kind, SAIDAS)
    return Exits(
        patient=prontuario_of(enc["cd_paciente"], patients)[saida],
        admitted=enc["dt_entrada"][saida],
        discharged=enc["dt_alta"][saida],
        kind=kind[saida],
    )


def prontuario_of(patient_ids: np.ndarray, patients: dict[str, np.ndarray]) -> np.ndarray:
    """The prontuario of each internal patient id (cd_paciente)."""
    order = np.argsort(patients["cd_paciente"])
    at = np.searchsorted(patients["cd_paciente"], patient_ids, sorter=order)
    return patients["nr_prontuario"][order[np.clip(at, 0, len(order) - 1)]]


def _inpatient(enc: dict[str, np.ndarray]) -> np.ndarray:
    return (enc["ie_tipo_atendimento"] == codes.INPATIENT) & (enc["ie_situacao"] == "A")


def census_days(horizon: Horizon, enc: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The census days (first inpatient admission to the data's last entry) and their months."""
    first_day = int(horizon.day_index(enc["dt_entrada"][_inpatient(enc)].min()))
    data_end = int(horizon.day_index(enc["dt_entrada"][enc["dt_entrada"] != NAT].max()))
    days = np.arange(first_day, data_end + 1)
    return days, horizon.month_of(horizon.t0 + days * DAY)


def canonical_bed_status(beds: dict[str, np.ndarray]) -> np.ndarray:
    """Each bed's status in the canonical vocabulary."""
    status_map = codes.canonical_map(codes.BED_STATUS)
    return np.array([status_map[s] for s in beds["ie_status"]], dtype=object)


def census_months(
    horizon: Horizon, enc: dict[str, np.ndarray], beds: dict[str, np.ndarray], moves: dict
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per month with census days: its index, patient-days, operational bed-days, days."""
    inpatient = _inpatient(enc)
    pd_day = patient_days(enc["dt_entrada"][inpatient], enc["dt_alta"][inpatient], horizon)
    bd_day = bed_days(
        beds["cd_leito"],
        canonical_bed_status(beds),
        beds["dt_inicio"],
        beds["dt_fim"],
        moves["cd_leito"],
        moves["dt_entrada_leito"],
        moves["dt_saida_leito"],
        horizon,
    )
    days, day_month = census_days(horizon, enc)
    months = np.unique(day_month)
    return (
        months,
        np.array([pd_day[days[day_month == m]].sum() for m in months]),
        np.array([bd_day[days[day_month == m]].sum() for m in months]),
        np.array([(day_month == m).sum() for m in months]),
    )


def length_of_stay_and_turnover(
    horizon: Horizon,
    enc: dict[str, np.ndarray],
    beds: dict[str, np.ndarray],
    moves: dict[str, np.ndarray],
    exits: Exits,
) -> list[dict]:
    """average_length_of_stay (value, patient_days, saidas) and bed_turnover per census month."""
    months, pdays, bdays, ndays = census_months(horizon, enc, beds, moves)
    per_month = np.bincount(
        horizon.month_of(exits.discharged), minlength=len(horizon.month_starts())
    )
    rows = []
    for m, patient_days_, bed_days_, days in zip(months, pdays, bdays, ndays, strict=True):
        period, saidas = horizon.month_starts()[m], int(per_month[m])
        if saidas:
            rows.append(_row("average_length_of_stay", period, "value", patient_days_ / saidas))
        rows.append(_row("average_length_of_stay", period, "patient_days", patient_days_))
        rows.append(_row("average_length_of_stay", period, "saidas", saidas))
        if bed_days_:
            rows.append(_row("bed_turnover", period, "value", saidas / (bed_days_ / days)))
    return rows


def mortality(horizon: Horizon, exits: Exits) -> list[dict]:
    """mortality_rate, scope geral and institucional (death >= 24 h after admission)."""
    month = horizon.month_of(exits.discharged)
    death = exits.kind == "obito"
    late = death & (exits.discharged - exits.admitted >= 24 * HOUR)
    rows = []
    for m in np.unique(month):
        sel = month == m
        period = horizon.month_starts()[m]
        for scope, deaths in (("geral", death), ("institucional", late)):
            value = 100.0 * deaths[sel].sum() / sel.sum()
            rows.append(_row("mortality_rate", period, "value", value, scope=scope))
    return rows


def readmission(
    horizon: Horizon, enc: dict[str, np.ndarray], patients: dict[str, np.ndarray], exits: Exits
) -> list[dict]:
    """readmission_30d: live discharges followed by an urgent admission within 30 days."""
    character = codes.canonical_map(codes.ADMISSION_CHARACTERS)
    urgent = _inpatient(enc) & np.array(
        [character.get(str(c)) == "urgent" for c in enc["ie_carater_inter"]]
    )
    admitted_by_patient: dict[int, np.ndarray] = {}
    prontuario = prontuario_of(enc["cd_paciente"][urgent], patients)
    times = enc["dt_entrada"][urgent]
    for p in np.unique(prontuario):
        admitted_by_patient[int(p)] = np.sort(times[prontuario == p])
    alive = exits.kind != "obito"
    month = horizon.month_of(exits.discharged[alive])
    readmitted = np.zeros(int(alive.sum()), dtype=bool)
    for i, (p, out) in enumerate(zip(exits.patient[alive], exits.discharged[alive], strict=True)):
        later = admitted_by_patient.get(int(p))
        if later is not None:
            first = later[np.searchsorted(later, out, side="right") :]
            readmitted[i] = bool(len(first)) and first[0] <= out + 30 * DAY
    rows = []
    for m in np.unique(month):
        sel = month == m
        period = horizon.month_starts()[m]
        n, r = int(sel.sum()), int(readmitted[sel].sum())
        rows += [
            _row("readmission_30d", period, "value", 100.0 * r / n),
            _row("readmission_30d", period, "discharges", n),
            _row("readmission_30d", period, "readmissions", r),
        ]
    return rows


def triage_to_doctor(
    horizon: Horizon,
    arrival: np.ndarray,
    triage_end: np.ndarray,
    colour: np.ndarray,
    doctor: np.ndarray,
) -> list[dict]:
    """Minutes from the end of the first triage to the first doctor, per colour and overall."""
    targets = dict(
        zip([c.canonical for c in codes.TRIAGE_COLOURS], codes.TRIAGE_TARGETS, strict=True)
    )
    ok = (triage_end != NAT) & (doctor != NAT)
    minutes = (doctor[ok] - triage_end[ok]) / 60.0
    month, colour = horizon.month_of(arrival[ok]), colour[ok]
    target = np.array([targets.get(c, np.nan) for c in colour], dtype=float)
    rows = []
    groups = [({"colour": c}, colour == c) for c in targets] + [({}, np.ones(len(colour), bool))]
    for dims, group in groups:
        for m in np.unique(month[group]):
            sel = group & (month == m)
            period = horizon.month_starts()[m]
            values, goal = minutes[sel], target[sel]
            for measure, q in (("p50", 0.5), ("p90", 0.9)):
                value = np.quantile(values, q, method="linear")
                rows.append(_row("triage_to_doctor", period, measure, value, **dims))
            known = ~np.isnan(goal)
            if known.any():
                within = 100.0 * (values[known] <= goal[known]).sum() / known.sum()
                rows.append(_row("triage_to_doctor", period, "within_target", within, **dims))
    return rows


def er_length_of_stay(horizon: Horizon, arrival: np.ndarray, left: np.ndarray) -> list[dict]:
    """Minutes from arrival to leaving the ER, by month of arrival."""
    ok = (arrival != NAT) & (left != NAT)
    minutes = (left[ok] - arrival[ok]) / 60.0
    return quantile_rows("er_length_of_stay", horizon, horizon.month_of(arrival[ok]), minutes)


def surgery(
    horizon: Horizon, surgeries: dict[str, np.ndarray], schedule: dict, data_end_day: int
) -> list[dict]:
    """surgery_cancellation (by month of schedule) and room_occupancy (used / open minutes)."""
    status_map = codes.canonical_map(codes.SURGERY_STATUS)
    status = np.array([status_map[str(s)] for s in surgeries["ie_status"]], dtype=object)
    month = horizon.month_of(surgeries["dt_agenda"])
    rows = []
    for m in np.unique(month):
        sel = month == m
        period = horizon.month_starts()[m]
        n, c = int(sel.sum()), int((status[sel] == "cancelada").sum())
        rows += [
            _row("surgery_cancellation", period, "value", 100.0 * c / n),
            _row("surgery_cancellation", period, "scheduled", n),
            _row("surgery_cancellation", period, "cancelled", c),
        ]
    done = (status == "realizada") & (surgeries["dt_entrada_sala"] != NAT)
    done &= surgeries["dt_saida_sala"] != NAT
    used = np.bincount(
        horizon.month_of(surgeries["dt_entrada_sala"][done]),
        weights=(surgeries["dt_saida_sala"][done] - surgeries["dt_entrada_sala"][done]) / 60.0,
        minlength=len(horizon.month_starts()),
    )
    first_day = int(surgeries["dt_agenda"].min() // DAY)
    days = np.arange(first_day, data_end_day + 1)
    open_minutes = np.zeros(len(horizon.month_starts()))
    day_month = horizon.month_of(days * DAY)
    for start, end, opens, closes in zip(
        schedule["dt_inicio_vigencia"],
        schedule["dt_fim_vigencia"],
        schedule["hr_abertura"],
        schedule["hr_fechamento"],
        strict=True,
    ):
        valid = (days >= start) & ((end == NAT) | (days < end))
        np.add.at(open_minutes, day_month[valid], (closes - opens) / 60.0)
    for m in np.unique(day_month):
        if open_minutes[m]:
            value = 100.0 * used[m] / open_minutes[m]
            rows.append(_row("room_occupancy", horizon.month_starts()[m], "value", value))
    return rows


def billing(
    horizon: Horizon, accounts: dict[str, np.ndarray], enc: dict[str, np.ndarray]
) -> list[dict]:
    """denial_rate (rate, billed, denied and the Pareto of reasons) and billing_lag."""
    sent = accounts["dt_envio"] != NAT
    month = horizon.month_of(accounts["dt_envio"][sent])
    billed = accounts["vl_conta"][sent] / 100.0
    denied = np.where(accounts["vl_glosa"][sent] == NAT, 0, accounts["vl_glosa"][sent]) / 100.0
    reason = np.array(
        [r if r else "sem_codigo" for r in accounts["cd_motivo_glosa"][sent]], dtype=object
    )
    rows = []
    for m in np.unique(month):
        sel = month == m
        period = horizon.month_starts()[m]
        total_billed, total_denied = billed[sel].sum(), denied[sel].sum()
        rows += [
            _row("denial_rate", period, "value", 100.0 * total_denied / total_billed),
            _row("denial_rate", period, "billed", total_billed),
            _row("denial_rate", period, "denied", total_denied),
        ]
        positive = sel & (denied > 0)
        for r in np.unique(reason[positive]):
            amount = denied[positive & (reason == r)].sum()
            rows.append(_row("denial_rate", period, "denied", amount, reason=r))
            rows.append(
                _row("denial_rate", period, "share", 100.0 * amount / total_denied, reason=r)
            )
    order = np.argsort(enc["cd_atendimento"])
    at = np.searchsorted(enc["cd_atendimento"], accounts["cd_atendimento"], sorter=order)
    discharged = enc["dt_alta"][order[np.clip(at, 0, len(order) - 1)]]
    ok = sent & (discharged != NAT)
    lag_days = (accounts["dt_envio"][ok] - discharged[ok]) / DAY
    rows += quantile_rows(
        "billing_lag", horizon, horizon.month_of(accounts["dt_envio"][ok]), lag_days
    )
    return rows
