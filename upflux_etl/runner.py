"""Run a hospital's nightly job in this process, on the Dagster instance the UI reads."""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import slugify
from upflux_etl.definitions import build_definitions
from upflux_etl.definitions.dagster_run import FULL_TAG, ROTATE_KEY_TAG
from upflux_etl.definitions.failures import record_failure, run_failure
from upflux_etl.instance import dagster_home
from upflux_etl.settings import Settings


def instance_for(settings: Settings) -> dg.DagsterInstance:
    """The persistent Dagster instance shared with `dagster dev` (the UI shows CLI runs)."""
    os.environ["DAGSTER_HOME"] = str(dagster_home(settings))
    return dg.DagsterInstance.get()


def run_client(
    settings: Settings,
    client: str,
    *,
    full: bool,
    instance: dg.DagsterInstance | None = None,
    rotate_key: bool = False,
):
    """Execute `<client>__nightly` in process; returns the ExecuteInProcessResult.

    `rotate_key` (with `full`) re-pseudonymises everything with a new key (pipeline/keys.py).

    Raises:
        ConfigError: the client is unknown or its file is broken.
    """
    slug = slugify(client)
    defs = build_definitions(settings)
    job_name = f"{slug}__nightly"
    try:
        job = defs.resolve_job_def(job_name)
    except dg.DagsterInvariantViolationError:
        raise ConfigError(
            settings.clients_dir / f"{client}.yaml", "", _why_missing(defs, slug)
        ) from None
    started = dt.datetime.now(dt.UTC)
    result = job.execute_in_process(
        instance=instance or instance_for(settings),
        tags={FULL_TAG: str(full).lower(), **({ROTATE_KEY_TAG: "true"} if rotate_key else {})},
        raise_on_error=False,
        # progress comes from our own `upflux` logger; failures are summarised by the CLI
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    )
    if not result.success:
        failure = run_failure(result.get_step_failure_events(), None)
        record_failure(settings, slug, result.run_id, started, full, failure)
    return result


def _why_missing(defs: dg.Definitions, slug: str) -> str:
    for spec in defs.resolve_all_asset_specs():
        if spec.key.path == [slug, "config_error"]:
            return str(spec.metadata.get("error", "client file is broken"))
    return f"no client {slug!r} in the clients folder"
