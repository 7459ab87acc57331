"""Dagster definitions of every hospital, built from the declarative files at load time.

`dagster_workspace.yaml` points here (attribute `defs`). Settings are read inside the
definitions function, never at import, so tests and the CLI can change them.
"""

from __future__ import annotations

import dagster as dg

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.loader import Catalog, load_catalog, load_clients
from upflux_etl.definitions.factories import (
    client_assets,
    client_job,
    client_schedule,
    config_error_asset,
)
from upflux_etl.definitions.sensors import failed_load_sensor
from upflux_etl.quality.generated import check_suite
from upflux_etl.settings import Settings


def load_project(settings: Settings) -> Catalog:
    """The catalog with every suite checked against Great Expectations (loud on any error)."""
    return check_suites(load_catalog(settings))


def check_suites(catalog: Catalog) -> Catalog:
    """Every suite of an already loaded catalog, checked against Great Expectations."""
    for name, suite in catalog.suites.items():
        check_suite(suite, catalog.root / "expectations" / f"{name}.yaml")
    return catalog


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every valid hospital's assets, checks, job and schedule; a broken client file becomes
    one failing `config_error` asset in its own group and never hides the others."""
    catalog = load_project(settings)
    loaded = load_clients(settings, catalog)
    assets, jobs, schedules = [], [], []
    for slug, error in loaded.errors.items():
        assets.append(config_error_asset(slug, error))
    for client in loaded.clients:
        try:
            client_defs = client_assets(client, catalog, settings)
        except ConfigError as error:
            assets.append(config_error_asset(client.slug, error))
            continue
        job = client_job(client)
        assets.extend(client_defs)
        jobs.append(job)
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
