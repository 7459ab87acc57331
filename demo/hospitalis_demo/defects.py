"""Defects: extra junk records, each breaking exactly one quality check.

They are added after the ground truth so the truth stays what the defect-free rows give.

Junk encounters are outpatient or ER encounters (they cannot change the census), copied from
real ones so everything but the defect is consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo.documents import (
    cns_digits,
    cpf_digits,
    digits_to_str,
    invalid_cns_digits,
    invalid_cpf_digits,
)
from hospitalis_demo.timeline import DAY, HOUR, MINUTE, NAT

MALFORMED_CIDS = ("18J", "XX", "j189", "J 18", "J18.", "189J", "JJ18")
GARBAGE_TIMESTAMPS = ("31/02/2026 25:61", "ontem", "00/00/0000", "2026-13-45 99:99:99", "N/D")
ORPHAN_BASE = 90_000_000


@dataclass
class Junk:
    """Junk rows per table and the manifest of what they break."""

    rows: dict[str, list[dict[str, np.ndarray]]] = field(default_factory=dict)
    garbage: dict[int, str] = field(default_factory=dict)  # cd_atendimento -> dt_atend_medico
    manifest: list[dict] = field(default_factory=list)

    def add(self, table: str, cols: dict[str, np.ndarray]) -> None:
        """Queue junk rows for a table."""
        self.rows.setdefault(table, []).append(cols)

    def note(self, defect: str, dataset: str, check: str, ids) -> None:
        """Record a defect with the canonical ids of the rows that violate the check."""
        ids = [str(int(i)) for i in ids]
        self.manifest.append(
            {
                "defect": defect,
                "dataset": dataset,
                "check": check,
                "count": len(ids),
                "record_ids": ids,
            }
        )


def _take(cols: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {
        k: (v.take(idx) if hasattr(v, "take") and not isinstance(v, np.ndarray) else v[idx].copy())
        for k, v in cols.items()
    }


def _count(rng: np.random.Generator, scale: float) -> int:
    return max(2, int(rng.integers(4, 16) * min(max(scale, 0.2), 4.0) ** 0.5))


class _Ids:
    """Fresh ids continuing each table's numbering."""

    def __init__(self, start: dict[str, int]):
        self.next = dict(start)

    def take(self, key: str, n: int) -> np.ndarray:
        """The next ``n`` ids of a numbering."""
        first = self.next[key]
        self.next[key] = first + n
        return np.arange(first, first + n, dtype=np.int64)


def _consults(rng, enc: dict, n: int) -> dict[str, np.ndarray]:
    """Copies of real finished consultations (the template of junk encounters)."""
    ok = np.flatnonzero(
        (enc["ie_tipo_atendimento"] == codes.CLINIC)
        & (enc["ie_situacao"] == "A")
        & (enc["dt_alta"] != NAT)
    )
    return _take(enc, np.sort(rng.choice(ok, n, replace=False)))


def encounter_defects(rng, junk: Junk, enc: dict, ids: _Ids, scale: float) -> None:
    """Consultation defects, one kind per junk record.

    discharge_before_admission, duplicated_key, null_mandatory, malformed_cid10, unmapped_code.
    """
    rows = _consults(rng, enc, n := _count(rng, scale))
    rows["cd_atendimento"] = ids.take("enc", n)
    rows["dt_alta"] = rows["dt_entrada"] - rng.integers(HOUR, 3 * DAY, n)
    rows["dt_atend_medico"][:] = NAT
    junk.add("atendimento", rows)
    junk.note(
        "discharge_before_admission",
        "encounters",
        "discharge_after_admission",
        rows["cd_atendimento"],
    )
    pairs = max(1, _count(rng, scale) // 2)
    rows = _consults(rng, enc, pairs)
    rows["cd_atendimento"] = ids.take("enc", pairs)
    junk.add("atendimento", rows)
    junk.add("atendimento", {k: v.copy() for k, v in rows.items()})
    junk.note(
        "duplicated_key", "encounters", "encounter_id_unique", np.repeat(rows["cd_atendimento"], 2)
    )
    rows = _consults(rng, enc, n := _count(rng, scale))
    rows["cd_atendimento"] = ids.take("enc", n)
    rows["dt_entrada"][:] = NAT
    junk.add("atendimento", rows)
    junk.note("null_mandatory", "encounters", "admitted_at_not_null", rows["cd_atendimento"])
    rows = _consults(rng, enc, n := _count(rng, scale))
    rows["cd_atendimento"] = ids.take("enc", n)
    rows["cd_cid_principal"] = rng.choice(np.array(MALFORMED_CIDS, dtype=object), n)
    junk.add("atendimento", rows)
    junk.note("malformed_cid10", "encounters", "cid10_format", rows["cd_atendimento"])
    rows = _consults(rng, enc, n := _count(rng, scale))
    rows["cd_atendimento"] = ids.take("enc", n)
    rows["cd_motivo_alta"][:] = int(codes.UNMAPPED_DISCHARGE)
    junk.add("atendimento", rows)
    junk.note("unmapped_code", "encounters", "discharge_type_mapped", rows["cd_atendimento"])


def patient_defects(rng, junk: Junk, pac: dict, ids: _Ids, scale: float) -> None:
    """invalid_cpf and invalid_cns: re-registrations with a mistyped document."""
    for defect, check in (("invalid_cpf", "cpf_check_digits"), ("invalid_cns", "cns_check_digits")):
        n = _count(rng, scale)
        known = np.flatnonzero(pac["dt_nascimento"] != NAT)
        rows = _take(pac, np.sort(rng.choice(known, n, replace=False)))
        rows["cd_paciente"] = ids.take("pac", n)
        rows["nr_prontuario"] = ids.take("pront", n)
        bad_cpf = defect == "invalid_cpf"
        cpf = invalid_cpf_digits(rng, n) if bad_cpf else cpf_digits(rng, n)
        cns = cns_digits(rng, n) if bad_cpf else invalid_cns_digits(rng, n)
        rows["nr_cpf"] = digits_to_str(cpf).astype(object)
        rows["nr_cartao_sus"] = digits_to_str(cns).astype(object)
        junk.add("paciente", rows)
        junk.note(defect, "patients", check, rows["cd_paciente"])


def exam_defects(rng, junk: Junk, exams: dict, ids: _Ids, scale: float, years: int) -> None:
    """future_date, orphan_exam and result_before_order.

    Args:
        rng: The defects' random stream.
        junk: Where the junk rows and their manifest entries are collected.
        exams: A sample of real ``pedido_exame`` rows to copy from (resulted ones).
        ids: The source of fresh record numbers.
        scale: Multiplies how many junk records of each kind are made.
        years: How far in the future the mistyped order date lands.
    """
    done = np.flatnonzero(exams["dt_resultado"] != NAT)
    n = _count(rng, scale)
    rows = _take(exams, np.sort(rng.choice(done, n, replace=False)))
    rows["nr_pedido"] = ids.take("exam", n)
    rows["dt_pedido"] = rows["dt_pedido"] + int(years * 365.25) * DAY
    for col in ("dt_coleta", "dt_realizacao", "dt_resultado", "dt_liberacao"):
        rows[col][:] = NAT
    junk.add("pedido_exame", rows)
    junk.note("future_date", "exams", "ordered_at_not_in_future", rows["nr_pedido"])
    n = _count(rng, scale)
    rows = _take(exams, np.sort(rng.choice(done, n, replace=False)))
    rows["nr_pedido"] = ids.take("exam", n)
    rows["cd_atendimento"] = ORPHAN_BASE + rng.choice(1_000_000, n, replace=False)
    junk.add("pedido_exame", rows)
    junk.note("orphan_exam", "exams", "exams_encounter_exists", rows["nr_pedido"])
    n = _count(rng, scale)
    rows = _take(exams, np.sort(rng.choice(done, n, replace=False)))
    rows["nr_pedido"] = ids.take("exam", n)
    rows["dt_resultado"] = rows["dt_pedido"] - rng.integers(10 * MINUTE, 5 * HOUR, n)
    for col in ("dt_coleta", "dt_realizacao", "dt_liberacao"):
        rows[col][:] = NAT
    junk.add("pedido_exame", rows)
    junk.note("result_before_order", "exams", "result_after_order", rows["nr_pedido"])


def billing_defects(rng, junk: Junk, accounts: dict, ids: _Ids, scale: float) -> None:
    """glosa_above_billed: a partial account whose denial exceeds its amount."""
    billed = np.flatnonzero(accounts["dt_envio"] != NAT)
    n = _count(rng, scale)
    rows = _take(accounts, np.sort(rng.choice(billed, n, replace=False)))
    rows["nr_interno_conta"] = ids.take("conta", n)
    rows["vl_glosa"] = rows["vl_conta"] + rng.integers(100, 50_000, n)
    rows["cd_motivo_glosa"] = np.full(n, "1705", dtype=object)
    junk.add("conta_paciente", rows)
    junk.note("glosa_above_billed", "billing", "denied_not_above_billed", rows["nr_interno_conta"])


def er_defects(
    rng, junk: Junk, enc: dict, triage: dict, ids: _Ids, scale: float, garbage: bool
) -> None:
    """triage_before_arrival and (SQLite only) garbage_timestamp, on copies of ER visits."""
    first = np.unique(triage["cd_atendimento"], return_index=True)[1]
    t_enc, t_start = triage["cd_atendimento"][first], triage["dt_inicio_triagem"][first]
    t_end = triage["dt_fim_triagem"][first]
    row_of = t_enc - 1  # encounter ids are 1..N in row order before any junk
    slack = enc["dt_atend_medico"][row_of] - enc["dt_entrada"][row_of]
    ok = np.flatnonzero(
        (enc["dt_atend_medico"][row_of] != NAT) & (slack > 20 * MINUTE) & (t_end != NAT)
    )
    for defect in ("triage_before_arrival", "garbage_timestamp")[: 2 if garbage else 1]:
        n = _count(rng, scale)
        pick = np.sort(rng.choice(ok, n, replace=False))
        rows = _take(enc, row_of[pick])
        rows["cd_atendimento"] = ids.take("enc", n)
        start, end = t_start[pick], t_end[pick]
        if defect == "triage_before_arrival":
            start = rows["dt_entrada"] - rng.integers(5 * MINUTE, 60 * MINUTE, n)
            end = rows["dt_entrada"] + rng.integers(MINUTE, 5 * MINUTE, n)
        tri = {
            "nr_seq_triagem": ids.take("triage", n),
            "cd_atendimento": rows["cd_atendimento"],
            "ie_protocolo": np.full(n, "MTS", dtype=object),
            "cd_classificacao": triage["cd_classificacao"][first][pick],
            "dt_inicio_triagem": start,
            "dt_fim_triagem": end,
            "dt_atualizacao": rows["dt_atualizacao"],
        }
        junk.add("atendimento", rows)
        junk.add("triagem_ps", tri)
        if defect == "garbage_timestamp":
            for enc_id in rows["cd_atendimento"]:
                junk.garbage[int(enc_id)] = str(rng.choice(GARBAGE_TIMESTAMPS))
            junk.note(
                defect, "er_visits", "first_medical_contact_at_parseable", rows["cd_atendimento"]
            )
        else:
            junk.note(defect, "er_visits", "triage_after_arrival", rows["cd_atendimento"])


def movement_defects(
    rng, junk: Junk, moves: dict, extra_beds: np.ndarray, ids: _Ids, scale: float
) -> None:
    """movement_end_before_start: a bed movement typed with its dates swapped."""
    ok = np.flatnonzero((moves["dt_saida_leito"] != NAT) & ~np.isin(moves["cd_leito"], extra_beds))
    n = _count(rng, scale)
    rows = _take(moves, np.sort(rng.choice(ok, n, replace=False)))
    rows["nr_seq_movimentacao"] = ids.take("move", n)
    rows["dt_saida_leito"] = rows["dt_entrada_leito"] - rng.integers(HOUR, 2 * DAY, n)
    junk.add("movimentacao_leito", rows)
    junk.note(
        "movement_end_before_start",
        "bed_movements",
        "movement_end_after_start",
        rows["nr_seq_movimentacao"],
    )
