"""The simulation's operational tables in Hospitalis's shape (column arrays)."""

from __future__ import annotations

import numpy as np

from hospitalis_demo.allocation import Allocation
from hospitalis_demo.beds import BedInventory
from hospitalis_demo.er import ErVisits
from hospitalis_demo.names import full_names
from hospitalis_demo.people import CITIES, UNKNOWN_BIRTH, PatientRegistry, documents
from hospitalis_demo.rng import lognormal
from hospitalis_demo.timeline import DAY, HOUR, MINUTE, NAT, Horizon


def updated(rng: np.random.Generator, *times: np.ndarray, t_end: int) -> np.ndarray:
    """``dt_atualizacao``: a few minutes after the latest event of each row.

    Rows with no event yet, like an open account, were last touched during the final day.
    """
    last = np.max(np.vstack([np.asarray(t, dtype=np.int64) for t in times]), axis=0)
    last = np.where(last == NAT, t_end - 6 * HOUR, last)
    lag = (lognormal(rng, 4.0, 0.8, len(last)) * MINUTE).astype(np.int64) + 5
    return np.minimum(last + lag, t_end - 1)


def patients(
    rng: np.random.Generator, registry: PatientRegistry, horizon: Horizon
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``paciente`` rows numbered by registration time.

    Returns:
        The columns and, per registration index, the patient's ``cd_paciente``.
    """
    registered = registry.column("registered")
    order = np.argsort(registered, kind="stable")
    code = np.empty(len(order), dtype=np.int64)
    code[order] = np.arange(1, len(order) + 1)
    birth, sex, kind = (registry.column(c)[order] for c in ("birth_day", "sex", "kind"))
    cpf, cns = documents(rng, birth, kind, horizon.t_end // DAY)
    prontuario = 100_000 + np.cumsum(1 + rng.geometric(0.7, len(order)))
    city_w = np.array([c[3] for c in CITIES])
    city = np.array([c[0] for c in CITIES])[
        rng.choice(len(CITIES), len(order), p=city_w / city_w.sum())
    ]
    cols = {
        "cd_paciente": np.arange(1, len(order) + 1, dtype=np.int64),
        "nr_prontuario": prontuario.astype(np.int64),
        "nm_paciente": full_names(rng, sex, kind),
        "nr_cpf": cpf,
        "nr_cartao_sus": cns,
        "dt_nascimento": np.where(birth == UNKNOWN_BIRTH, NAT, birth),
        "ie_sexo": np.array(["M", "F", "I"], dtype=object)[sex],
        "cd_municipio_ibge": np.where(kind == 3, NAT, city),
        "dt_cadastro": registered[order],
    }
    cols["dt_atualizacao"] = updated(rng, cols["dt_cadastro"], t_end=horizon.t_end)
    return cols, code


def triage(
    rng: np.random.Generator,
    er: ErVisits,
    er_id: np.ndarray,
    extra: tuple[np.ndarray, ...],
    t_end: int,
) -> dict[str, np.ndarray]:
    """``triagem_ps``: the first classification of each triaged visit plus reassessments."""
    first = np.flatnonzero(er.triage_start != NAT)
    idx, start, end, colour = extra
    visit = np.concatenate([first, idx])
    start = np.concatenate([er.triage_start[first], start])
    end = np.concatenate([er.triage_end[first], end])
    keep = start < t_end
    visit, start, end = visit[keep], start[keep], np.where(end[keep] < t_end, end[keep], NAT)
    colour = np.concatenate([er.colour[first], colour])[keep]
    order = np.lexsort((start, er_id[visit]))
    cols = {
        "nr_seq_triagem": np.arange(1, len(order) + 1, dtype=np.int64),
        "cd_atendimento": er_id[visit][order],
        "ie_protocolo": np.full(len(order), "MTS", dtype=object),
        "cd_classificacao": colour[order].astype(np.int64) + 1,
        "dt_inicio_triagem": start[order],
        "dt_fim_triagem": end[order],
    }
    cols["dt_atualizacao"] = updated(
        rng, cols["dt_inicio_triagem"], cols["dt_fim_triagem"], t_end=t_end
    )
    return cols


def beds(
    inventory: BedInventory, alloc: Allocation, horizon: Horizon
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``leito`` and ``leito_situacao`` (one row per bed and status period)."""
    n = len(inventory.code)
    leito = {
        "cd_leito": inventory.code,
        "cd_setor": inventory.sector,
        "ds_leito": np.array(inventory.label, dtype=object),
        "ie_tipo_leito": inventory.bed_type,
        "ie_temporario": np.where(inventory.extra, "S", "N").astype(object),
        "dt_atualizacao": np.full(n, horizon.t0 + 120, dtype=np.int64),
    }
    rows: list[tuple[int, str, int, int, str | None]] = []
    blocks = sorted(
        zip(alloc.block_bed, alloc.block_start, alloc.block_end, alloc.block_code, strict=True)
    )
    by_bed: dict[int, list[tuple[int, int, str]]] = {}
    for bed, start, end, code in blocks:
        by_bed.setdefault(bed, []).append((start, end, code))
    reasons = {"M": "MANUTENCAO PREVENTIVA/CORRETIVA", "I": "INTERDICAO - REFORMA DE QUARTO"}
    for bed in range(n):
        if inventory.extra[bed]:
            rows.append((bed, "E", horizon.t0, NAT, "LEITO EXTRA - PICO DE DEMANDA"))
            continue
        cursor = horizon.t0
        for start, end, code in by_bed.get(bed, []):
            if start > cursor:
                rows.append((bed, "A", cursor, start, None))
            rows.append((bed, code, start, end, reasons[code]))
            cursor = end
            if end == NAT:
                break
        if cursor != NAT:
            rows.append((bed, "A", cursor, NAT, None))
    bed_idx, status, start, end, reason = (np.array(c) for c in zip(*rows, strict=True))
    situacao = {
        "nr_sequencia": np.arange(1, len(rows) + 1, dtype=np.int64),
        "cd_leito": inventory.code[bed_idx.astype(np.int64)],
        "ie_status": status.astype(object),
        "dt_inicio": start.astype(np.int64),
        "dt_fim": end.astype(np.int64),
        "ds_motivo": reason.astype(object),
    }
    situacao["dt_atualizacao"] = np.minimum(
        np.maximum(situacao["dt_inicio"], situacao["dt_fim"]) + 300, horizon.t_end - 1
    )
    return leito, situacao


def movements(
    rng: np.random.Generator,
    alloc: Allocation,
    stay_id: np.ndarray,
    inventory: BedInventory,
    t_end: int,
) -> dict[str, np.ndarray]:
    """``movimentacao_leito``: one row per bed occupation, in order of start."""
    stay = np.asarray(alloc.move_stay, dtype=np.int64)
    bed = np.asarray(alloc.move_bed, dtype=np.int64)
    start = np.asarray(alloc.move_start, dtype=np.int64)
    end = np.asarray(alloc.move_end, dtype=np.int64)
    order = np.lexsort((stay_id[stay], start))
    cols = {
        "nr_seq_movimentacao": np.arange(1, len(order) + 1, dtype=np.int64),
        "cd_atendimento": stay_id[stay][order],
        "cd_leito": inventory.code[bed][order],
        "cd_setor": inventory.sector[bed][order],
        "dt_entrada_leito": start[order],
        "dt_saida_leito": end[order],
    }
    cols["dt_atualizacao"] = updated(
        rng, cols["dt_entrada_leito"], cols["dt_saida_leito"], t_end=t_end
    )
    return cols
