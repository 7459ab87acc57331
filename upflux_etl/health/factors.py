"""The six factors of the health score: pure functions of the inputs and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from upflux_etl.catalog.health import HealthConfig
from upflux_etl.health.inputs import DatasetFlow, HealthInputs
from upflux_etl.health.text import count, num, pct
from upflux_etl.state.records import RunRecord

TITLES = {
    "freshness": "Atualização dos dados",
    "data_quality": "Qualidade dos dados",
    "data_flow": "Fluxo de dados do ERP",
    "platform_use": "Uso da plataforma",
    "reconciliation": "Conciliação das cargas",
    "implementation": "Progresso da implantação",
}


@dataclass(frozen=True)
class Factor:
    """One factor: its value (0-1, None when it does not apply yet) and why, in Portuguese.

    Attributes:
        facts: the numbers behind `detail`, for actions and for machines (JSON-able).
        weight: the declared weight; effective_weight: after renormalisation (sum 100).
    """

    name: str
    value: float | None
    detail: str
    facts: dict[str, Any] = field(default_factory=dict)
    weight: float = 0.0
    effective_weight: float = 0.0

    @property
    def title(self) -> str:
        """The factor's name in Portuguese."""
        return TITLES[self.name]

    @property
    def applies(self) -> bool:
        """Whether the factor counts in the score."""
        return self.value is not None

    @property
    def points(self) -> float:
        """What the factor adds to the 0-100 score."""
        return (self.value or 0.0) * self.effective_weight


def freshness(inputs: HealthInputs, config: HealthConfig) -> Factor:
    """Hours from the last published load to the instant scored."""
    if not inputs.runs:
        return Factor(
            "freshness", None, "Nenhuma carga até esta data: o fator ainda não se aplica."
        )
    cfg = config.freshness
    published = next((r for r in inputs.runs if r.status == "published"), None)
    if published is None:
        return Factor(
            "freshness",
            0.0,
            f"Nenhuma carga publicada em {len(inputs.runs)} tentativa(s).",
            {"hours": None, "fresh_hours": cfg.fresh_hours, "stale_hours": cfg.stale_hours},
        )
    hours = max(0.0, (inputs.reference_at - published.ended_at).total_seconds() / 3600)
    span = cfg.stale_hours - cfg.fresh_hours
    value = min(1.0, max(0.0, 1 - (hours - cfg.fresh_hours) / span))
    local = published.ended_at.astimezone(ZoneInfo(inputs.zone))
    detail = (
        f"Última carga publicada ({published.load_id}) em {local:%d/%m/%Y %H:%M}, há "
        f"{num(hours)} h. Vale 100% até {num(cfg.fresh_hours, 0)} h e 0% a partir de "
        f"{num(cfg.stale_hours, 0)} h: {pct(value)}."
    )
    facts = {
        "hours": round(hours, 2),
        "fresh_hours": cfg.fresh_hours,
        "stale_hours": cfg.stale_hours,
    }
    return Factor("freshness", value, detail, facts)


def data_quality(inputs: HealthInputs, config: HealthConfig) -> Factor:
    """Share of the last load's extracted rows that were published; capped by blocking failures."""
    last = next((r for r in inputs.runs if r.ledger), None)
    if last is None:
        return Factor("data_quality", None, "Nenhuma carga com livro-razão até esta data.")
    totals = {
        k: sum(int(c.get(k, 0)) for c in last.ledger.values())
        for k in ("extracted", "published", "quarantined", "held")
    }
    share = totals["published"] / totals["extracted"] if totals["extracted"] else 1.0
    failing = [f"{c.get('dataset')}.{c.get('name')}" for c in last.failing_blocking()]
    value = min(share, config.data_quality.blocking_cap) if failing else share
    detail = (
        f"Carga {last.load_id}: {count(totals['published'])} de {count(totals['extracted'])} "
        f"linhas extraídas publicadas ({pct(share)}); {count(totals['quarantined'])} em "
        f"quarentena e {count(totals['held'])} retidas."
    )
    if failing:
        detail += (
            f" Verificação bloqueante falhando ({', '.join(failing)}): fator limitado a "
            f"{pct(config.data_quality.blocking_cap, 0)}."
        )
    facts = {
        "load_id": last.load_id,
        **totals,
        "share": round(share, 4),
        "failing_blocking": failing,
    }
    return Factor("data_quality", value, detail, facts)


def reconciliation(inputs: HealthInputs, config: HealthConfig) -> Factor:
    """Share of the recent loads whose warehouse holds what the source holds, dataset by dataset.

    Measured, not by construction: each load counts every dataset's whole query at the source
    and compares it with published + open quarantine + held (`meta.reconciliation`); its
    ledger must close too.
    """
    recent = [r for r in inputs.runs if r.ledger][: config.reconciliation.loads]
    if not recent:
        return Factor("reconciliation", None, "Nenhuma carga com livro-razão até esta data.")
    unreconciled = {r.load_id: r.unreconciled() for r in recent if r.unreconciled()}
    value = (len(recent) - len(unreconciled)) / len(recent)
    detail = (
        f"{len(recent) - len(unreconciled)} de {len(recent)} cargas recentes conciliadas com a "
        "origem (total na origem = publicadas + quarentena + retidas, em cada conjunto)."
    )
    if unreconciled:
        detail += (
            " Não conciliam: "
            + "; ".join(
                f"{r.load_id} ({', '.join(_differences(r, unreconciled[r.load_id]))})"
                for r in recent
                if r.load_id in unreconciled
            )
            + "."
        )
    facts = {"loads": len(recent), "unbalanced": unreconciled}
    return Factor("reconciliation", value, detail, facts)


def _differences(run: RunRecord, datasets: list[str]) -> list[str]:
    out = []
    for dataset in datasets:
        counts = run.ledger.get(dataset, {})
        source, held = counts.get("source_count"), counts.get("warehouse_count")
        if source is None or held is None:
            out.append(f"{dataset}: origem não contada")
        else:
            out.append(f"{dataset}: origem {count(int(source))}, warehouse {count(int(held))}")
    return out


def _flow_ratio(actual: tuple[int, ...], expected: tuple[float, ...]) -> float:
    return sum(actual) / sum(expected) if sum(expected) > 0 else 1.0


def _judge_flow(flow: DatasetFlow, config: HealthConfig) -> dict[str, Any] | None:
    cfg = config.data_flow
    if sum(flow.expected) < cfg.min_daily_baseline * len(flow.expected) or not flow.expected:
        return None
    weekly = _flow_ratio(flow.actual, flow.expected)
    n = cfg.recent_days
    # The newest day may still be incomplete (records typed in late; the demo ERP's last day
    # lacks the surgeries of patients admitted after its end): a module that stopped is quiet
    # on every recent day, so the recent days count by the best of them.
    recent = max(
        _flow_ratio((a,), (e,)) for a, e in zip(flow.actual[-n:], flow.expected[-n:], strict=True)
    )
    worst = min(weekly, recent)
    return {
        "dataset": flow.dataset,
        "actual": sum(flow.actual),
        "expected": round(sum(flow.expected), 1),
        "weekly_ratio": round(weekly, 4),
        "recent_ratio": round(recent, 4),
        "score": min(1.0, worst / cfg.healthy_ratio),
        "collapsed": worst < cfg.collapse_ratio,
    }


def data_flow(inputs: HealthInputs, config: HealthConfig) -> Factor:
    """Each ERP dataset's volume against its own weekly pattern; the worst dataset counts."""
    judged = [j for j in (_judge_flow(f, config) for f in inputs.flows) if j is not None]
    if not judged:
        return Factor("data_flow", None, "Sem histórico de volume suficiente para comparar.")
    cfg = config.data_flow
    lines = []
    for j in judged:
        line = (
            f"{j['dataset']}: {count(j['actual'])} registros nos últimos {cfg.window_days} "
            f"dias contra {num(j['expected'])} esperados ({pct(j['weekly_ratio'], 0)}; "
            f"últimos {cfg.recent_days} dias: {pct(j['recent_ratio'], 0)})"
        )
        lines.append(line + (" — QUEDA BRUSCA" if j["collapsed"] else ""))
    value = min(j["score"] for j in judged)
    detail = (
        f"Volume diário comparado aos mesmos dias da semana das {cfg.baseline_weeks} semanas "
        f"anteriores; vale 100% a partir de {pct(cfg.healthy_ratio, 0)} do esperado e conta o "
        f"pior conjunto. " + "; ".join(lines) + "."
    )
    collapsed = [j["dataset"] for j in judged if j["collapsed"]]
    return Factor("data_flow", value, detail, {"datasets": judged, "collapsed": collapsed})


def platform_use(inputs: HealthInputs, config: HealthConfig) -> Factor:
    """Share of the main modules used on the platform in the usage window."""
    if inputs.usage is None:
        return Factor("platform_use", None, "Sem dados de uso da plataforma até esta data.")
    modules = config.platform_use.modules
    used = [m for m in modules if m in inputs.usage.modules_used]
    unused = [m for m in modules if m not in inputs.usage.modules_used]
    category = "all" if not unused else "some" if used else "none"
    label = {"all": "todos", "some": "alguns", "none": "nenhum"}[category]
    detail = (
        f"Módulos usados de {inputs.usage.window_start:%d/%m} a {inputs.usage.window_end:%d/%m}: "
        f"{len(used)} de {len(modules)} ({label})."
        + (f" Em uso: {', '.join(modules[m] for m in used)}." if used else "")
        + (f" Sem uso: {', '.join(modules[m] for m in unused)}." if unused else "")
    )
    facts = {"category": category, "used": used, "unused": unused}
    return Factor("platform_use", len(used) / len(modules), detail, facts)


def implementation(inputs: HealthInputs, _config: HealthConfig) -> Factor:
    """Share of the checklist items done."""
    checklist = inputs.checklist
    if checklist is None or not checklist.total:
        return Factor("implementation", None, "Implantação ainda não iniciada nesta data.")
    pending = checklist.next_pending()
    detail = f"{checklist.done} de {checklist.total} itens do checklist concluídos."
    if pending is not None:
        detail += f" Próximo: {pending.title} (Round {pending.round})."
    facts = {
        "done": checklist.done,
        "total": checklist.total,
        "next_item": pending.id if pending else None,
    }
    return Factor("implementation", checklist.share_done, detail, facts)


def all_factors(inputs: HealthInputs, config: HealthConfig) -> list[Factor]:
    """The six factors, in the order of the weights file."""
    functions = {
        "freshness": freshness,
        "data_quality": data_quality,
        "data_flow": data_flow,
        "platform_use": platform_use,
        "reconciliation": reconciliation,
        "implementation": implementation,
    }
    return [functions[name](inputs, config) for name in config.weights]
