"""Factories: typed models in, Dagster definitions out (pure; nothing runs at build time)."""

# No `from __future__ import annotations` here: Dagster checks the `context` annotation
# of asset functions at definition time and rejects string annotations.
from contextlib import closing

import dagster as dg

from upflux_etl.catalog.client_checks import client_checks
from upflux_etl.catalog.clients import client_datasets
from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.definitions.dagster_run import load_context_of, pool
from upflux_etl.definitions.downstream import downstream_assets
from upflux_etl.definitions.extraction_metadata import extraction_metadata
from upflux_etl.definitions.run_tags import CLIENT_TAG, client_run_tags
from upflux_etl.definitions.scrubbed import interrupted, scrub_exception, scrubbed_errors
from upflux_etl.definitions.writer import writer_key, writer_resource
from upflux_etl.pipeline.indicators import compute_indicators
from upflux_etl.pipeline.publish import publish_step
from upflux_etl.quality.dagster_checks import (
    check_results,
    check_specs,
    reconciliation_spec,
    source_check_specs,
)
from upflux_etl.settings import Settings


def dataset_key(client: ClientSpec, dataset: str) -> dg.AssetKey:
    """The asset key of a client's dataset: `<slug>/datasets/<dataset>`."""
    return dg.AssetKey([client.slug, "datasets", dataset])


def dataset_asset(
    client: ClientSpec, catalog: Catalog, settings: Settings, dataset: str, loaded: list[str]
):
    """Extraction, in-stream protection, validation and quarantine split of one dataset."""
    spec = catalog.canonical.datasets[dataset]
    key = dataset_key(client, dataset)
    expectations = client_checks(client, catalog, dataset)
    refs = sorted(
        {e.value_set_from.split(".")[0] for e in expectations if e.value_set_from} - {dataset}
    )
    deps = [dataset_key(client, r) for r in refs if r in loaded]

    @dg.asset(
        key=key,
        group_name=client.slug,
        description=f"{spec.label}: {spec.description}",
        deps=deps,
        check_specs=[
            *check_specs(key, expectations),
            reconciliation_spec(key),
            *source_check_specs(key),
        ],
        kinds={"duckdb"},
        tags={CLIENT_TAG: client.slug},
        pool=pool(client.slug),
        required_resource_keys={writer_key(client.slug)},
    )
    @scrubbed_errors
    def _dataset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        # Imported here: the load's modules (DuckDB, the drivers, the SQL checks) are not
        # needed to build definitions; Great Expectations is not imported by a load at all
        # unless a check needs its pandas fallback (docs/DECISIONS.md).
        from upflux_etl.pipeline.datasets import load_dataset

        result = load_dataset(load_context_of(context, settings, catalog, client), dataset)
        ledger = result.ledger
        return dg.MaterializeResult(
            metadata={
                "rows_extracted": ledger.extracted,
                "rows_published": ledger.published,
                "rows_quarantined": ledger.quarantined,
                "rows_held": ledger.held,
                "quarantine_open": result.quarantine_open,
                "held": result.held,
                "duration_s": round(result.seconds, 2),
                "query": result.query_name,
                # The extraction's own retries (no run-level retry redoes a load).
                **extraction_metadata(result.sessions, result.unindexed),
            },
            check_results=check_results(key, result.outcome, result.open_quarantine),
        )

    return _dataset


def indicators_asset(
    client: ClientSpec, catalog: Catalog, settings: Settings, loaded: list[str]
) -> dg.AssetsDefinition:
    """The hospital's indicators, each its own asset, computed in one step on the load's build.

    One step, not one per indicator: they share the build's connection and macros, and a
    step's own cost (Dagster's events, a connection) was most of an incremental load's
    indicator time (docs/DECISIONS.md, "The indicators in one step").
    """
    specs = []
    for name in client.indicators:
        spec = catalog.indicators[name]
        missing = [d for d in spec.depends_on if d not in loaded]
        if missing:
            raise ConfigError(
                client.file,
                "indicators",
                f"{name} needs datasets {missing} that no source of this client provides",
            )
        specs.append(
            dg.AssetSpec(
                key=indicator_key(client, name),
                group_name=client.slug,
                description=f"{spec.title}: {spec.formula} ({spec.unit}, {spec.grain})",
                deps=[dataset_key(client, d) for d in spec.depends_on],
                kinds={"duckdb"},
                tags={CLIENT_TAG: client.slug},
            )
        )

    @dg.multi_asset(
        name=f"{client.slug}__indicators",
        specs=specs,
        pool=pool(client.slug),
        required_resource_keys={writer_key(client.slug)},
    )
    @scrubbed_errors
    def _indicators(context: dg.AssetExecutionContext):
        ctx = load_context_of(context, settings, catalog, client)
        failed = []
        # closed here (its build connection too) even when an interruption leaves the loop
        with closing(compute_indicators(ctx, list(client.indicators))) as outcomes:
            for name, outcome in outcomes:
                if isinstance(outcome, Exception):
                    if interrupted(outcome):
                        raise KeyboardInterrupt from None
                    safe = scrub_exception(outcome)
                    context.log.error(f"indicator {name}: {safe}")
                    failed.append((name, safe))
                    continue
                yield dg.MaterializeResult(
                    asset_key=indicator_key(client, name),
                    metadata={"values": outcome, "unit": catalog.indicators[name].unit},
                )
        if len(failed) == 1:
            raise failed[0][1]
        if failed:
            names = ", ".join(name for name, _ in failed)
            raise RuntimeError(f"{len(failed)} indicators failed ({names}): {failed[0][1]}")

    return _indicators


def indicator_key(client: ClientSpec, name: str) -> dg.AssetKey:
    """The asset key of a client's indicator: `<slug>/indicators/<name>`."""
    return dg.AssetKey([client.slug, "indicators", name])


def warehouse_asset(
    client: ClientSpec, catalog: Catalog, settings: Settings, upstream: list[dg.AssetKey]
):
    """The hospital's published warehouse: the load's build renamed into place atomically."""

    @dg.asset(
        key=[client.slug, "warehouse"],
        group_name=client.slug,
        description="O data warehouse publicado do hospital (DuckDB), trocado atomicamente a cada carga.",
        deps=upstream,
        kinds={"duckdb"},
        tags={CLIENT_TAG: client.slug},
        pool=pool(client.slug),
        required_resource_keys={writer_key(client.slug)},
    )
    @scrubbed_errors
    def _warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        ctx = load_context_of(context, settings, catalog, client)
        pub = publish_step(ctx)
        totals = {
            k: sum(v[k] for v in pub.ledger.values())
            for k in ("extracted", "published", "quarantined", "held")
        }
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(ctx.files.published)),
                "version": pub.version,
                **{f"rows_{k}": v for k, v in totals.items()},
                "held_by": ", ".join(pub.failed_blocking) or "nothing",
            }
        )

    return _warehouse


def config_error_asset(slug: str, error: ConfigError):
    """Stands in the UI for a hospital whose client file is broken: it says why, and fails."""

    @dg.asset(
        key=[slug, "config_error"],
        group_name=slug,
        description=f"Client file error: {error}",
        metadata={"file": error.file, "field": error.field, "error": error.message},
    )
    def _config_error() -> None:
        raise dg.Failure(
            description=str(error), metadata={"file": error.file, "field": error.field}
        )

    return _config_error


def client_assets(
    client: ClientSpec, catalog: Catalog, settings: Settings
) -> list[dg.AssetsDefinition]:
    """Every asset of one hospital."""
    loaded = client_datasets(client, catalog)
    datasets = [dataset_asset(client, catalog, settings, d, loaded) for d in loaded]
    indicators = [indicators_asset(client, catalog, settings, loaded)] if client.indicators else []
    upstream = [a.key for a in datasets] + [k for a in indicators for k in sorted(a.keys)]
    publication = warehouse_asset(client, catalog, settings, upstream)
    # The load (datasets, indicators, publication) holds the hospital's writer lock from the
    # run's start to its end, and runs whole or not at all (definitions/writer.py).
    steps = [a.node_def.name for a in [*datasets, *indicators, publication]]
    writer = {
        writer_key(client.slug): writer_resource(
            client.slug, settings, [*upstream, publication.key], steps
        )
    }
    return [
        *dg.with_resources([*datasets, *indicators, publication], writer),
        *downstream_assets(client, catalog, settings, publication.key),
    ]


def client_job(client: ClientSpec):
    """The nightly job of one hospital: all its assets, in one process.

    Its runs carry the hospital's tag and its sources' databases: the run queue's limits per
    hospital and per source database read them (deploy/dagster.yaml). No retry tags
    (`dagster/max_retries`): retries are the extraction's, per dataset, never the whole load.
    """
    return dg.define_asset_job(
        name=f"{client.slug}__nightly",
        selection=dg.AssetSelection.groups(client.slug),
        executor_def=dg.in_process_executor,
        tags=client_run_tags(client),
        description=f"Carga noturna de {client.name}",
    )


def client_ui_job(client: ClientSpec):
    """The job "Materialize all" on the hospital's group runs as: `Load__<hospital>`.

    The same assets, executor and tags as the nightly job, so UI runs carry the hospital's tag
    and source limits. The UI launches a selection under the first job, in name order, that
    holds all its assets; an upper-case name sorts before Dagster's `__ASSET_JOB` (which
    carries no tags), the nightly job's name does not (docs/DECISIONS.md).
    """
    return dg.define_asset_job(
        name=ui_job_name(client.slug),
        selection=dg.AssetSelection.groups(client.slug),
        executor_def=dg.in_process_executor,
        tags=client_run_tags(client),
        description=f"Carga de {client.name} lançada pela UI (Materialize all)",
    )


def ui_job_name(slug: str) -> str:
    """The name of the hospital's job for runs launched from the UI."""
    return f"Load__{slug}"


def client_schedule(client: ClientSpec, job) -> dg.ScheduleDefinition:
    """Runs the nightly job at the client's cron, in the hospital's own time zone."""
    return dg.ScheduleDefinition(
        name=f"{client.slug}__nightly_schedule",
        job=job,
        cron_schedule=client.schedule.cron,
        execution_timezone=client.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING
        if client.schedule.enabled
        else dg.DefaultScheduleStatus.STOPPED,
    )
