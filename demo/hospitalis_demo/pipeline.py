"""generate(): simulate and write everything the demo hospital consists of.

The ERP and platform databases, the ground truth and the defect manifest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

import numpy as np

from hospitalis_demo import codes, exam_chunks, platform, reference, tables, tables_ops, truth
from hospitalis_demo import defects as junk_rows
from hospitalis_demo.arrow import for_backend, to_arrow
from hospitalis_demo.rng import stream
from hospitalis_demo.schema import ERP_TABLES, PLATFORM_TABLES
from hospitalis_demo.simulate import Params, Simulation, simulate
from hospitalis_demo.surgery import room_count
from hospitalis_demo.timeline import Horizon, build_horizon
from hospitalis_demo.writer import Target

Progress = Callable[[str, float], None]
TABLES = MappingProxyType({t.name: t for t in ERP_TABLES + PLATFORM_TABLES})


@dataclass
class GenerationResult:
    """What :func:`generate` produced."""

    erp_url: str
    platform_url: str
    ground_truth_path: Path
    defects_path: Path
    row_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _write(target: Target, name: str, cols: dict, counts: dict[str, int]) -> None:
    target.append(name, to_arrow(TABLES[name], cols))
    counts[name] = counts.get(name, 0) + len(next(iter(cols.values())))


def _core_tables(sim: Simulation, seed: int) -> dict[str, dict]:
    """Every ERP table except the exam orders, as column arrays (before defects)."""
    h = sim.horizon
    rng = stream(seed, "tables")
    out = reference.registers(h)
    out["paciente"], code = tables.patients(rng, sim.registry, h)
    enc = dict(sim.encounters.columns)
    enc["cd_paciente"] = code[enc.pop("patient")]
    enc.pop("src")
    out["atendimento"] = enc
    out["triagem_ps"] = tables.triage(rng, sim.er, sim.encounters.er_id, sim.er_retriage, h.t_end)
    out["leito"], out["leito_situacao"] = tables.beds(sim.inventory, sim.alloc, h)
    out["movimentacao_leito"] = tables.movements(
        rng, sim.alloc, sim.encounters.stay_id, sim.inventory, h.t_end
    )
    out["sala_cirurgica"], out["sala_cirurgica_horario"] = tables_ops.rooms(
        room_count(len(sim.inventory.code) - int(sim.inventory.extra.sum())), h
    )
    out["cirurgia"] = tables_ops.surgeries(
        rng, sim.surgeries, sim.encounters.stay_id, sim.alloc.discharged, h.t_end
    )
    out["conta_paciente"] = tables_ops.accounts(rng, sim.accounts, h.t_end)
    return out


def _bed_units(leito: dict[str, np.ndarray]) -> dict[int, str]:
    """Each bed (cd_leito) -> its canonical unit, from the bed's sector."""
    units = codes.unit_map()
    return {
        int(b): units[str(s)]
        for b, s in zip(leito["cd_leito"], leito["cd_setor"], strict=True)
        if str(s) in units
    }


def _ground_truth(h: Horizon, core: dict, tat: truth.ExamTat) -> list[dict]:
    enc, tri = core["atendimento"], core["triagem_ps"]
    er_rows = np.flatnonzero(enc["ie_tipo_atendimento"] == 3)
    er_ids = enc["cd_atendimento"][er_rows]
    first = np.unique(tri["cd_atendimento"], return_index=True)
    size = len(enc["cd_atendimento"]) + 1

    def first_triage(column: str, missing) -> np.ndarray:
        values = np.full(size, missing, dtype=tri[column].dtype if missing is truth.NAT else object)
        values[first[0]] = tri[column][first[1]]
        return values[er_ids]

    colours = codes.canonical_map(codes.TRIAGE_COLOURS)
    colour = np.array(
        [
            colours.get(str(c)) if c is not None else None
            for c in first_triage("cd_classificacao", None)
        ],
        dtype=object,
    )
    arrival = enc["dt_entrada"][er_rows]
    beds, moves = core["leito_situacao"], core["movimentacao_leito"]
    exits = truth.inpatient_exits(enc, core["paciente"])
    data_end_day = int(enc["dt_entrada"][enc["dt_entrada"] != truth.NAT].max() // truth.DAY)
    return (
        truth.census(h, enc, beds, moves, _bed_units(core["leito"]))
        + truth.length_of_stay_and_turnover(h, enc, beds, moves, exits)
        + truth.mortality(h, exits)
        + truth.readmission(h, enc, core["paciente"], exits)
        + truth.door_to_triage(h, arrival, first_triage("dt_inicio_triagem", truth.NAT))
        + truth.triage_to_doctor(
            h,
            arrival,
            first_triage("dt_fim_triagem", truth.NAT),
            colour,
            enc["dt_atend_medico"][er_rows],
        )
        + truth.er_length_of_stay(h, arrival, enc["dt_alta"][er_rows])
        + truth.exam_turnaround(h, tat)
        + truth.surgery(h, core["cirurgia"], core["sala_cirurgica_horario"], data_end_day)
        + truth.billing(h, core["conta_paciente"], enc)
    )


def _inject(
    seed: int, scale: float, core: dict, exam_sample: dict, garbage: bool, end_year: int
) -> junk_rows.Junk:
    """Junk rows for every defect of the manifest."""
    rng = stream(seed, "defects")
    junk = junk_rows.Junk()
    starts = {
        "enc": len(core["atendimento"]["cd_atendimento"]) + 1,
        "pac": int(core["paciente"]["cd_paciente"].max()) + 1,
        "pront": int(core["paciente"]["nr_prontuario"].max()) + 1,
        "exam": int(exam_sample["next_id"]),
        "conta": int(core["conta_paciente"]["nr_interno_conta"].max()) + 1,
        "triage": int(core["triagem_ps"]["nr_seq_triagem"].max()) + 1,
        "move": int(core["movimentacao_leito"]["nr_seq_movimentacao"].max()) + 1,
    }
    ids = junk_rows._Ids(starts)
    junk_rows.encounter_defects(rng, junk, core["atendimento"], ids, scale)
    junk_rows.patient_defects(rng, junk, core["paciente"], ids, scale)
    junk_rows.exam_defects(rng, junk, exam_sample["rows"], ids, scale, years=2062 - end_year)
    junk_rows.billing_defects(rng, junk, core["conta_paciente"], ids, scale)
    junk_rows.er_defects(rng, junk, core["atendimento"], core["triagem_ps"], ids, scale, garbage)
    extra = core["leito"]["cd_leito"][core["leito"]["ie_temporario"] == "S"]
    junk_rows.movement_defects(rng, junk, core["movimentacao_leito"], extra, ids, scale)
    return junk


def _write_junk(target: Target, junk: junk_rows.Junk, counts: dict[str, int]) -> None:
    for name, batches in junk.rows.items():
        for cols in batches:
            data = to_arrow(TABLES[name], cols)
            if name == "atendimento" and junk.garbage:
                data = _with_garbage(data, junk.garbage)
                target.append_physical(name, data)
                counts[name] = counts.get(name, 0) + data.num_rows
                continue
            _write(target, name, cols, counts)


def _with_garbage(data, garbage: dict[int, str]):
    """SQLite only: text that is no date in ``dt_atend_medico`` of the listed encounters."""
    import pyarrow as pa

    physical = for_backend(data, "sqlite")
    ids = physical.column("cd_atendimento").to_pylist()
    values = physical.column("dt_atend_medico").to_pylist()
    values = [garbage.get(i, v) for i, v in zip(ids, values, strict=True)]
    index = physical.column_names.index("dt_atend_medico")
    return physical.set_column(index, "dt_atend_medico", pa.array(values, pa.string()))


def row_counts(
    counts: dict[str, int], core: dict, junk: junk_rows.Junk, usage_rows: int
) -> dict[str, int]:
    """Rows each canonical dataset's profile query returns."""
    er_rows = int((core["atendimento"]["ie_tipo_atendimento"] == 3).sum())
    er_rows += sum(
        int((b["ie_tipo_atendimento"] == 3).sum()) for b in junk.rows.get("atendimento", [])
    )
    return {
        "patients": counts["paciente"],
        "encounters": counts["atendimento"],
        "er_visits": er_rows,
        "bed_movements": counts["movimentacao_leito"],
        "beds": counts["leito_situacao"],
        "exams": counts["pedido_exame"],
        "surgeries": counts["cirurgia"],
        "surgery_rooms": counts["sala_cirurgica_horario"],
        "billing": counts["conta_paciente"],
        "platform_usage": usage_rows,
    }


def _write_platform(target: Target, seed: int, h: Horizon) -> int:
    """The UpFlux platform's tables; returns the rows the platform_usage query returns."""
    data = platform.simulate(stream(seed, "platform"), h)
    target.create(PLATFORM_TABLES)
    counts: dict[str, int] = {}
    _write(target, "platform_user", data.users, counts)
    modules = platform.MODULES
    _write(
        target,
        "platform_module",
        {
            "module_id": np.array([m[0] for m in modules], dtype=np.int64),
            "slug": np.array([m[1] for m in modules], dtype=object),
            "title": np.array([m[2] for m in modules], dtype=object),
            "updated_at": np.full(len(modules), h.t0 + 60, dtype=np.int64),
        },
        counts,
    )
    usage = dict(data.usage)
    usage["usage_day"] = usage["usage_day"] // 86_400
    _write(target, "usage_daily", usage, counts)
    return int(np.isin(data.usage["module_id"], [1, 2, 3, 4]).sum())


def _dump(path: Path, payload: dict) -> Path:
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _write_erp(
    erp: Target,
    sim: Simulation,
    core: dict,
    counts: dict[str, int],
    parameters: dict,
    out_dir: Path,
    report: Progress,
):
    """Core tables, exam orders month by month, ground truth, then the junk rows.

    Returns:
        The ground-truth path and the injected junk.
    """
    h = sim.horizon
    seed, scale = parameters["seed"], parameters["scale"]
    erp.create(ERP_TABLES)
    for name, cols in core.items():
        _write(erp, name, cols, counts)
    tat = truth.ExamTat()
    sample: dict = {}
    months = h.month_starts()
    src = exam_chunks.sources(sim, core["movimentacao_leito"])
    for m, cols in enumerate(exam_chunks.chunks(seed, scale, h, src, tat)):
        report(f"writing exam orders ({months[m]:%Y-%m})", 0.25 + 0.6 * m / len(months))
        _write(erp, "pedido_exame", cols, counts)
        if len(cols["nr_pedido"]):
            sample = {"rows": cols, "next_id": int(cols["nr_pedido"][-1]) + 1}
    report("computing the ground truth", 0.86)
    gt_path = _dump(
        out_dir / "ground_truth.json",
        {"parameters": parameters, "indicators": _ground_truth(h, core, tat)},
    )
    report("injecting defects", 0.9)
    junk = _inject(seed, scale, core, sample, erp.backend == "sqlite", h.end.year)
    _write_junk(erp, junk, counts)
    return gt_path, junk


def generate(
    erp_url: str,
    platform_url: str,
    out_dir: Path,
    *,
    seed: int = 42,
    beds: int = 200,
    months: int = 12,
    end_date: date = date(2026, 10, 31),
    scale: float = 1.0,
    schema: str | None = None,
    progress: Progress | None = None,
) -> GenerationResult:
    """Generate the demo hospital's ERP and platform databases, its truth and its defects.

    Args:
        erp_url: SQLAlchemy-style URL of the ERP database (``sqlite:///abs/path.sqlite``,
            ``postgresql://...``, ``mysql+pymysql://...``); Hospitalis's tables are replaced.
        platform_url: Where the UpFlux platform's usage tables go (may equal ``erp_url``).
        out_dir: Folder for ``ground_truth.json`` and ``defects.json``.
        seed: Random seed; equal inputs give identical data.
        beds: Regular beds (about 2.5 % extra beds come on top).
        months: Calendar months simulated, ending on ``end_date``.
        end_date: Last simulated day (inclusive); nothing exists before the first day.
        scale: Multiplies ER, clinic and collection-post volumes and inpatient exam orders;
            bed-bound volumes (stays, surgeries) stay as the beds allow.
        schema: PostgreSQL schema or MariaDB database to drop and recreate for the tables.
        progress: Called with ``(step, fraction)`` as the work advances.

    Returns:
        URLs, file paths, the rows each profile query returns, and the elapsed seconds.
    """
    started = time.perf_counter()
    report = progress or (lambda step, fraction: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    h = build_horizon(end_date, months)
    report("simulating the hospital", 0.0)
    sim = simulate(Params(seed, beds, scale), h)
    core = _core_tables(sim, seed)
    report("writing the ERP tables", 0.2)
    counts: dict[str, int] = {}
    with Target(erp_url, schema) as erp:
        parameters = {
            "seed": seed,
            "beds": beds,
            "months": months,
            "end_date": end_date.isoformat(),
            "scale": scale,
            "start_date": h.start.isoformat(),
            "timezone": "America/Sao_Paulo",
        }
        gt_path, junk = _write_erp(erp, sim, core, counts, parameters, out_dir, report)
        erp.finish()
    report("writing the platform usage", 0.95)
    same_place = platform_url == erp_url and schema is not None
    with Target(platform_url, None if same_place else schema) as platform_target:
        platform_target.schema = schema if same_place else platform_target.schema
        usage_rows = _write_platform(platform_target, seed, h)
        platform_target.finish()
    counts_out = row_counts(counts, core, junk, usage_rows)
    df_path = _dump(out_dir / "defects.json", {"row_counts": counts_out, "defects": junk.manifest})
    report("done", 1.0)
    return GenerationResult(
        erp_url, platform_url, gt_path, df_path, counts_out, time.perf_counter() - started
    )
