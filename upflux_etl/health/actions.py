"""Next actions from the factors, with the CS cadence of the seed "Processo CS"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from upflux_etl.catalog.health import HealthConfig, Milestone
from upflux_etl.health.factors import Factor
from upflux_etl.health.inputs import HealthInputs
from upflux_etl.health.text import num, pct

RECOMMENDATION = {
    "all": "todos os módulos em uso: aplicar a pesquisa de satisfação e oferecer mais treinamentos "
    "({training})",
    "some": "uso parcial: contatar, entender a dificuldade e reagendar o treinamento",
    "none": "nenhum módulo em uso: contatar e fazer um retreinamento personalizado",
    None: "verificar o uso de cada módulo da plataforma",
}


@dataclass(frozen=True)
class NextAction:
    """What someone should do next, why, who and by when.

    Attributes:
        kind: stable key; at most one open action per (client, kind) in the store.
        once: a milestone: raised once, never again after it is closed.
    """

    kind: str
    reason: str
    owner: str
    due_date: date
    once: bool = False

    def as_dict(self) -> dict[str, str | bool]:
        """JSON-able form kept with the health score."""
        return {
            "kind": self.kind,
            "reason": self.reason,
            "owner": self.owner,
            "due_date": self.due_date.isoformat(),
            "once": self.once,
        }


def next_actions(
    inputs: HealthInputs, factors: list[Factor], config: HealthConfig
) -> list[NextAction]:
    """Integration actions first (contact hospital IT), then CS actions."""
    by_name = {f.name: f for f in factors}
    return [
        *_integration_actions(inputs, by_name, config),
        *_usage_actions(inputs, by_name["platform_use"], config),
        *_cadence_actions(inputs, by_name["platform_use"], config),
        *_checklist_actions(inputs, config),
    ]


def _cs_owner(inputs: HealthInputs, config: HealthConfig) -> str:
    return inputs.cs_owner or config.actions.default_owner


def _integration_actions(
    inputs: HealthInputs, factors: dict[str, Factor], config: HealthConfig
) -> list[NextAction]:
    """Data problems: the owner is the integration team, who contacts hospital IT."""
    owner = config.actions.integration_owner
    soon = inputs.as_of + timedelta(days=config.actions.due_days.integration)
    review = inputs.as_of + timedelta(days=config.actions.due_days.review)
    failing = _failing(inputs)
    found = [
        *failing,
        # Failing loads already say since when nothing was published: one action, not two.
        *([] if failing else _stale(factors["freshness"], config)),
        *_quality(factors["data_quality"], config),
        *_collapses(factors["data_flow"], config),
        *_unbalanced(factors["reconciliation"]),
    ]
    return [
        NextAction(kind, reason, owner, review if kind == "quarentena_alta" else soon)
        for kind, reason in found
    ]


def _failing(inputs: HealthInputs) -> list[tuple[str, str]]:
    """The newest loads failed (ERP unreachable, a broken query): hospital IT must know."""
    failed = []
    for run in inputs.runs:  # newest first
        if run.status != "failed":
            break
        failed.append(run)
    if not failed:
        return []
    since = failed[-1].ended_at.astimezone(ZoneInfo(inputs.zone))
    access = "" if any(r.connection_ok for r in failed) else " (sem conexão com o banco do ERP)"
    return [
        (
            "carga_falhando",
            f"{len(failed)} carga(s) seguida(s) falharam desde {since:%d/%m/%Y %H:%M}{access}: "
            "contatar a TI do hospital (problema de integração, não de treinamento) e "
            "verificar o acesso ao banco do ERP.",
        )
    ]


def _stale(fresh: Factor, config: HealthConfig) -> list[tuple[str, str]]:
    if not fresh.applies or (fresh.value or 0) >= 1:
        return []
    hours = fresh.facts.get("hours")
    since = f"há {num(hours)} h" if hours is not None else "nunca"
    limit = num(config.freshness.fresh_hours, 0)
    return [
        (
            "carga_atrasada",
            f"Última carga publicada {since} (limite {limit} h): contatar a TI do hospital e "
            "verificar o acesso ao banco e o agendamento.",
        )
    ]


def _quality(quality: Factor, config: HealthConfig) -> list[tuple[str, str]]:
    facts = quality.facts
    if facts.get("failing_blocking"):
        checks = ", ".join(facts["failing_blocking"])
        return [
            (
                "verificacao_bloqueante",
                f"Verificação bloqueante falhando na carga {facts['load_id']} ({checks}): a carga "
                "foi retida; contatar a TI do hospital com o relatório de qualidade.",
            )
        ]
    if quality.applies and facts.get("share", 1.0) < config.data_quality.action_below:
        return [
            (
                "quarentena_alta",
                f"Só {pct(facts['share'])} das linhas da carga {facts['load_id']} foram "
                "publicadas: revisar o relatório de qualidade com a TI do hospital.",
            )
        ]
    return []


def _collapses(flow: Factor, config: HealthConfig) -> list[tuple[str, str]]:
    floor = pct(config.data_flow.collapse_ratio, 0)
    return [
        (
            f"queda_volume_{dataset}",
            f"O volume de {dataset} caiu abaixo de {floor} do padrão semanal: contatar a TI do "
            "hospital (módulo do ERP parado ou consulta quebrada).",
        )
        for dataset in flow.facts.get("collapsed", [])
    ]


def _unbalanced(reconciliation: Factor) -> list[tuple[str, str]]:
    unbalanced = reconciliation.facts.get("unbalanced") or {}
    if not unbalanced:
        return []
    return [
        (
            "livro_razao_desbalanceado",
            f"Warehouse não concilia com a origem em {len(unbalanced)} carga(s) recente(s) "
            f"({', '.join(unbalanced)}): ver a verificação source_reconciled no relatório "
            "(linhas fora da janela incremental, apagadas na origem ou perdidas na carga).",
        )
    ]


def training_kind(segment: str) -> str:
    """Small hospitals train in groups (several clinics at once), the others individually."""
    return "treinamento em grupo" if segment == "small" else "treinamento individual"


def _usage_actions(inputs: HealthInputs, usage: Factor, config: HealthConfig) -> list[NextAction]:
    category = usage.facts.get("category")
    if category not in ("some", "none"):
        return []
    recheck = config.actions.due_days.recheck
    training = training_kind(inputs.segment)
    reason = {
        "some": f"Só {len(usage.facts['used'])} de {len(config.platform_use.modules)} módulos em "
        f"uso: contatar o hospital, entender a dificuldade e reagendar o treinamento "
        f"({training}); verificar o uso novamente em {recheck} dias.",
        "none": f"Nenhum módulo em uso nos últimos {config.platform_use.window_days} dias: "
        f"contatar o hospital e fazer um retreinamento personalizado ({training}); "
        f"verificar o uso novamente em {recheck} dias.",
    }[category]
    due = inputs.as_of + timedelta(days=recheck)
    return [
        NextAction(
            f"uso_{'parcial' if category == 'some' else 'nenhum'}",
            reason,
            _cs_owner(inputs, config),
            due,
        )
    ]


def _milestone_dates(milestone: Milestone, start: date, until: date) -> list[tuple[str, date]]:
    if milestone.after_days is not None:
        return [(milestone.kind, start + timedelta(days=milestone.after_days))]
    dates, n = [], 1
    while (when := start + timedelta(days=n * (milestone.every_days or 1))) <= until:
        dates.append((f"{milestone.kind}_{n}", when))
        n += 1
    return dates


def _cadence_start(inputs: HealthInputs, config: HealthConfig) -> date | None:
    """The day the CS cadence counts from: when its checklist item was done."""
    if inputs.checklist is None:
        return None
    anchor = [i for i in inputs.checklist.items if i.id == config.actions.cadence_from]
    return anchor[0].done_on if anchor and anchor[0].status == "done" else None


def _cadence_actions(inputs: HealthInputs, usage: Factor, config: HealthConfig) -> list[NextAction]:
    start = _cadence_start(inputs, config)
    if start is None:
        return []
    window = timedelta(days=config.actions.cadence_window_days)
    advice = RECOMMENDATION[usage.facts.get("category")].format(
        training=training_kind(inputs.segment)
    )
    found = []
    for milestone in config.actions.cadence:
        for kind, when in _milestone_dates(milestone, start, inputs.as_of):
            if when <= inputs.as_of < when + window:
                reason = f"{milestone.title} (contado de {start:%d/%m/%Y}): {advice}."
                found.append(NextAction(kind, reason, _cs_owner(inputs, config), when, once=True))
    return found


def _checklist_actions(inputs: HealthInputs, config: HealthConfig) -> list[NextAction]:
    pending = inputs.checklist.next_pending() if inputs.checklist else None
    if pending is None:
        return []
    owner = (
        config.actions.integration_owner
        if pending.owner == "integracao"
        else _cs_owner(inputs, config)
    )
    reason = (
        f"Próximo item da implantação: {pending.title} (Round {pending.round}). {pending.evidence}"
    )
    due = inputs.as_of + timedelta(days=config.actions.due_days.review)
    return [NextAction(f"checklist_{pending.id}", reason.strip(), owner, due)]
