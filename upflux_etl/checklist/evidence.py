"""Automatic evidence: computed only from what the pipeline did, never typed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import duckdb

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.onboarding.records import ConnectTestRecord
from upflux_etl.state.records import RunRecord
from upflux_etl.warehouse.meta.indicators import INDICATOR_VALUES, indicator_counts_until

Progress = Literal["none", "partial", "met"]


@dataclass(frozen=True)
class EvidenceContext:
    """What the rules may look at: the client's loads up to `at` and its warehouse."""

    client: ClientSpec
    runs: list[RunRecord]  # ended by `at`, newest first
    warehouse: duckdb.DuckDBPyConnection | None
    at: datetime
    # `upflux connect-test` results (onboarding/records.py), newest first.
    connect_tests: tuple[ConnectTestRecord, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """How far the pipeline's record goes towards an item, in Portuguese."""

    progress: Progress
    text: str


def evaluate(rule: str, ctx: EvidenceContext, params: dict[str, Any]) -> Evidence:
    """Run the automatic rule named in `assets/checklist/rounds.yaml`."""
    rules: dict[str, Callable[[EvidenceContext, dict[str, Any]], Evidence]] = {
        "connection_ok": connection_ok,
        "datasets_extracted": datasets_extracted,
        "quality_report_clean": quality_report_clean,
        "indicators_computed": indicators_computed,
        "reconciled_loads": reconciled_loads,
    }
    return rules[rule](ctx, params)


def _when(ctx: EvidenceContext, run: RunRecord) -> str:
    return run.ended_at.astimezone(ctx.client.zone).strftime("%d/%m/%Y %H:%M")


def connection_ok(ctx: EvidenceContext, _params: dict[str, Any]) -> Evidence:
    """A passing `upflux connect-test`, or a load whose connection test passed."""
    tests = [t for t in ctx.connect_tests if t.at <= ctx.at]
    passed = [t for t in tests if t.ok]
    if passed:
        when = passed[-1].at.astimezone(ctx.client.zone).strftime("%d/%m/%Y %H:%M")
        return Evidence(
            "met",
            f"upflux connect-test aprovado em {when}: {passed[-1].sources} fonte(s) alcançada(s), "
            "acesso somente leitura comprovado, consultas alinhadas ao modelo canônico.",
        )
    ok = [r for r in ctx.runs if r.connection_ok]
    if ok:
        first = ok[-1]
        return Evidence(
            "met", f"Teste de conexão aprovado na carga {first.load_id} ({_when(ctx, first)})."
        )
    if ctx.runs or tests:
        return Evidence(
            "none",
            f"Nenhum teste de conexão aprovado em {len(ctx.runs) + len(tests)} tentativa(s).",
        )
    return Evidence("none", "Nenhuma carga executada ainda.")


def datasets_extracted(ctx: EvidenceContext, params: dict[str, Any]) -> Evidence:
    """Every required ERP dataset extracted (at least one row) by some load."""
    disabled = {name for name, o in ctx.client.datasets.items() if not o.enabled}
    required = [d for d in params.get("datasets", []) if d not in disabled]
    seen = {
        dataset
        for run in ctx.runs
        for dataset, counts in run.ledger.items()
        if int(counts.get("extracted", 0)) > 0
    }
    missing = [d for d in required if d not in seen]
    if not missing:
        return Evidence(
            "met", f"Todos os {len(required)} conjuntos de dados exigidos já foram extraídos."
        )
    done = len(required) - len(missing)
    text = f"{done} de {len(required)} conjuntos extraídos; faltam: {', '.join(missing)}."
    return Evidence("partial" if done else "none", text)


def quality_report_clean(ctx: EvidenceContext, _params: dict[str, Any]) -> Evidence:
    """A quality report produced, and no blocking check failing in the last load."""
    reports = [r for r in ctx.runs if r.report_sha256]
    last = next((r for r in ctx.runs if r.ledger or r.checks), None)
    failing = last.failing_blocking() if last else []
    if reports and last and not failing:
        return Evidence(
            "met",
            f"Relatório de qualidade produzido (carga {reports[0].load_id}); nenhuma verificação "
            f"bloqueante falhando na última carga ({last.load_id}).",
        )
    parts = [] if reports else ["nenhum relatório de qualidade produzido"]
    if failing:
        names = ", ".join(f"{c.get('dataset')}.{c.get('name')}" for c in failing)
        parts.append(f"verificações bloqueantes falhando na última carga: {names}")
    if last is None:
        parts.append("nenhuma carga com resultados")
    text = "; ".join(parts)
    return Evidence("partial" if reports else "none", text[:1].upper() + text[1:] + ".")


def _indicator_counts(ctx: EvidenceContext) -> tuple[dict[str, int], str] | None:
    if ctx.warehouse is None:
        return None
    counts = indicator_counts_until(ctx.warehouse, ctx.at)
    return None if counts is None else (counts, f"warehouse ({INDICATOR_VALUES})")


def indicators_computed(ctx: EvidenceContext, _params: dict[str, Any]) -> Evidence:
    """Every indicator of the client file computed with at least one value."""
    wanted = list(ctx.client.indicators)
    if not wanted:
        return Evidence("none", "Nenhum indicador configurado no arquivo do cliente.")
    found = _indicator_counts(ctx)
    if found is None:
        published = next((r for r in ctx.runs if r.status == "published"), None)
        source = f"carga {published.load_id}" if published else "nenhuma carga publicada"
        found = (dict(published.indicators) if published else {}, source)
    counts, source = found
    empty = [name for name in wanted if int(counts.get(name, 0)) <= 0]
    if not empty:
        return Evidence("met", f"Os {len(wanted)} indicadores configurados têm valores ({source}).")
    done = len(wanted) - len(empty)
    text = (
        f"{done} de {len(wanted)} indicadores com valores; sem valores: {', '.join(empty)} "
        f"({source})."
    )
    return Evidence("partial" if done else "none", text)


def reconciled_loads(ctx: EvidenceContext, params: dict[str, Any]) -> Evidence:
    """The warehouse equals the source (counted at every load) on N consecutive published loads."""
    needed = int(params.get("consecutive_loads", 3))
    best = streak = 0
    for run in reversed(ctx.runs):  # oldest first
        streak = streak + 1 if run.status == "published" and run.reconciles else 0
        best = max(best, streak)
    text = (
        f"Conciliação com a origem (total na origem = publicadas + quarentena + retidas, "
        f"contado em cada conjunto, e livro-razão fechado) em {best} carga(s) "
        f"consecutiva(s); mínimo {needed}. Sequência atual: {streak}."
    )
    if best >= needed:
        return Evidence("met", text)
    return Evidence("partial" if best else "none", text)
