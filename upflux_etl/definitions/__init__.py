"""Dagster definitions of every hospital, built from the declarative files at load time.

`dagster_workspace.yaml` points here (attribute `defs`). Settings are read inside the
definitions function, never at import, so tests and the CLI can change them.
"""

from __future__ import annotations

import dagster as dg

from upflux_etl.catalog.errors import ConfigError, ConfigProblems
from upflux_etl.catalog.validation import validate_project
from upflux_etl.definitions.factories import (
    client_assets,
    client_job,
    client_schedule,
    client_ui_job,
    config_error_asset,
)
from upflux_etl.definitions.sensors import failed_load_sensor
from upflux_etl.instance import relax_local_event_log_sync
from upflux_etl.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every valid hospital's assets, checks, job and schedule.

    A broken client file becomes one failing `config_error` asset in its own group and never
    hides the others.

    Raises:
        ConfigProblems: a project file (not a client file) is broken: nothing can be built.
    """
    relax_local_event_log_sync()  # the processes that run loads store their events faster
    validation = validate_project(settings, check_environment=False)
    catalog = validation.catalog
    if catalog is None:
        raise ConfigProblems(validation.problems)
    assets, jobs, schedules = [], [], []
    for slug, error in validation.client_errors.items():
        assets.append(config_error_asset(slug, error))
    for client in validation.clients:
        try:
            client_defs = client_assets(client, catalog, settings)
        except ConfigError as error:
            assets.append(config_error_asset(client.slug, error))
            continue
        job = client_job(client)
        assets.extend(client_defs)
        jobs.extend([job, client_ui_job(client)])
        schedules.append(client_schedule(client, job))
    return dg.Definitions(
        assets=assets,
        jobs=jobs,
        schedules=schedules,
        sensors=[failed_load_sensor(settings)],
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The definitions Dagster loads (`dagster dev -w dagster_workspace.yaml`)."""
    return build_definitions(Settings.from_env())
