"""Finding a client by the name a person typed."""

from __future__ import annotations

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.loader import Catalog, load_catalog, load_clients
from upflux_etl.catalog.models import ClientSpec, slugify
from upflux_etl.pipeline.context import client_pseudonym_key
from upflux_etl.settings import Settings


def find_client(
    settings: Settings, name: str, *, check_suites: bool = True
) -> tuple[Catalog, ClientSpec]:
    """The catalog and the named client; its file's error if it is broken.

    Commands that only read the warehouse and the state store pass `check_suites=False`:
    checking the suites against Great Expectations costs ~8 s of imports.
    """
    catalog = load_catalog(settings)
    if check_suites:
        check_catalog_suites(catalog)
    loaded = load_clients(settings, catalog)
    slug = slugify(name)
    if slug in loaded.errors:
        raise loaded.errors[slug]
    for client in loaded.clients:
        if client.slug == slug:
            return catalog, client
    known = ", ".join(c.slug for c in loaded.clients) or "none"
    raise ConfigError(settings.clients_dir, "", f"no client file for {name!r} (known: {known})")


def load_project_checked(settings: Settings) -> Catalog:
    """The catalog with every suite checked (see `check_catalog_suites`)."""
    return check_catalog_suites(load_catalog(settings))


def check_catalog_suites(catalog: Catalog) -> Catalog:
    """Check the suites (imported here: it pulls in Great Expectations)."""
    from upflux_etl.definitions import check_suites

    return check_suites(catalog)


def find_runnable_client(settings: Settings, name: str) -> tuple[Catalog, ClientSpec]:
    """The named client, checked for what a load needs before it may start: its file, its
    pseudonymisation key, then every suite (the slow check, last, so the others fail fast).

    A missing key is one line here; found inside the run, it would be a failed step (and a
    traceback) per dataset.
    """
    catalog, client = find_client(settings, name, check_suites=False)
    client_pseudonym_key(client)
    return check_catalog_suites(catalog), client
