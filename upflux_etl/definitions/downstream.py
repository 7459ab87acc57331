"""Assets that read the published warehouse: process mining, quality report, health, checklist."""

# No `from __future__ import annotations` here: Dagster checks the `context` annotation
# of asset functions at definition time and rejects string annotations.
import datetime as dt
from typing import TypedDict

import dagster as dg

from upflux_etl.alerts import Alert, AlertConfig, deliver
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.definitions.dagster_run import load_context_of, pool
from upflux_etl.definitions.run_tags import CLIENT_TAG
from upflux_etl.definitions.scrubbed import scrubbed_errors
from upflux_etl.health.view import health_metadata, open_actions
from upflux_etl.pipeline.mining import process_mining_step
from upflux_etl.pipeline.reporting import checklist_step, health_step, quality_report_step
from upflux_etl.settings import Settings
from upflux_etl.state.store import StateStore


class _Common(TypedDict):
    """The `dg.asset` arguments every downstream asset of a hospital shares."""

    group_name: str
    tags: dict[str, str]
    pool: str


def downstream_assets(
    client: ClientSpec, catalog: Catalog, settings: Settings, warehouse_key: dg.AssetKey
) -> list:
    """The report, health score and checklist assets of one hospital."""
    common: _Common = {
        "group_name": client.slug,
        "tags": {CLIENT_TAG: client.slug},
        "pool": pool(client.slug),
    }

    @dg.asset(
        key=[client.slug, "process_mining"],
        deps=[warehouse_key],
        kinds={"duckdb"},
        **common,
        description="Log de eventos (caso = atendimento), atualizado só nos casos que a carga "
        "mudou; mapa do processo, variantes e conformidade com o modelo de referência.",
    )
    @scrubbed_errors
    def _mining(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        summary = process_mining_step(settings, client, catalog, context.run_id)
        keys = ("cases", "events", "variants", "edges", "fitness", "fitting_cases", "error")
        metadata = {k: summary[k] for k in keys if k in summary}
        if "log" in summary:  # what the night did to the kept log, and why
            metadata["log"] = " ".join(
                [summary["log"]["mode"], f"({summary['log']['cases']} cases read)"]
                + ([summary["log"]["reason"]] if summary["log"]["reason"] else [])
            )
        return dg.MaterializeResult(metadata=metadata)

    @dg.asset(
        key=[client.slug, "quality_report"],
        deps=[warehouse_key, _mining.key],
        kinds={"html"},
        **common,
        description="Relatório de qualidade da carga para a TI do hospital (HTML, português).",
    )
    @scrubbed_errors
    def _report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        report = quality_report_step(load_context_of(context, settings, catalog, client))
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(report.path)),
                "report_id": report.sha256,
                "failing_checks": report.failing_checks,
            }
        )

    @dg.asset(
        key=[client.slug, "health_score"],
        deps=[_report.key],
        **common,
        description="Health score do hospital para Customer Success (histórico no state store).",
    )
    @scrubbed_errors
    def _health(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        score = health_step(settings, catalog, client)
        with StateStore(settings.state_url) as store:
            actions = open_actions(store.actions(client.slug), score.as_of)
        shown = health_metadata(score.score, score.band, score.previous_score, score.trend, actions)
        if score.band == "red" and previous_band(settings, client.slug, score.as_of) != "red":
            alert_health_red(client.slug, context.run_id, score.score)
        return dg.MaterializeResult(
            metadata={
                **{k: v for k, v in shown.items() if k not in ("next_actions", "actions_md")},
                "next_actions": dg.MetadataValue.json(shown["next_actions"]),
                "actions_md": dg.MetadataValue.md(shown["actions_md"]),
            }
        )

    @dg.asset(
        key=[client.slug, "checklist"],
        deps=[_report.key],
        **common,
        description="Checklist de implantação (Rounds 1-3): evidências automáticas e registros.",
    )
    @scrubbed_errors
    def _checklist(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        status = checklist_step(settings, catalog, client)
        return dg.MaterializeResult(
            metadata={
                "done": status.done,
                "total": status.total,
                "items": dg.MetadataValue.md(
                    "\n".join(
                        f"- [{'x' if i.status == 'done' else ' '}] R{i.round} {i.title}: {i.evidence}"
                        for i in status.items
                    )
                ),
            }
        )

    return [_mining, _report, _health, _checklist]


def previous_band(settings: Settings, client: str, as_of: dt.date) -> str | None:
    """The hospital's health band on its last scored day before `as_of`."""
    store = StateStore(settings.state_url)
    try:
        before = store.health_before(client, as_of)
    finally:
        store.dispose()
    return before.band if before else None


def alert_health_red(client: str, run_id: str, score: float | None) -> None:
    """The hook where a hospital's health becomes red: one alert (its next actions say why)."""
    config = AlertConfig.from_env()
    reason = f"health score {score:.0f}: red" if score is not None else "health is red"
    deliver(
        config, Alert.build("health_red", client, run_id, "health_score", reason, config.ui_url)
    )
