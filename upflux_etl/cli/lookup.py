"""Finding a client by the name a person typed."""

from __future__ import annotations

from upflux_etl.catalog.errors import ConfigError, ConfigProblems
from upflux_etl.catalog.models import ClientSpec, slugify
from upflux_etl.catalog.reader import Catalog, read_catalog, read_clients
from upflux_etl.catalog.validation import validate_project
from upflux_etl.settings import Settings


def find_client(settings: Settings, name: str) -> tuple[Catalog, ClientSpec]:
    """The catalog and the named client, for commands that read what a load left.

    Raises:
        ConfigProblems: a project file or the client's file is broken (every problem).
        ConfigError: no client file has that name.
    """
    catalog = read_catalog(settings)
    loaded = read_clients(settings, catalog)
    return catalog, _pick(settings, name, loaded.clients, loaded.errors)


def find_runnable_client(settings: Settings, name: str) -> tuple[Catalog, ClientSpec]:
    """The named client, after the same validation as `upflux validate`, environment included.

    A load starts only from a project that validates: what validation could see (a missing
    key, a typo in a suite) is one clear message here, not a failed step per dataset.

    Raises:
        ConfigProblems: a project file, the client's file or its environment is wrong.
        ConfigError: no client file has that name.
    """
    validation = validate_project(settings)
    if validation.catalog is None:
        raise ConfigProblems(validation.problems)
    client = _pick(settings, name, validation.clients, validation.client_errors)
    return validation.catalog, client


def _pick(
    settings: Settings, name: str, clients: list[ClientSpec], errors: dict[str, ConfigProblems]
) -> ClientSpec:
    slug = slugify(name)
    if slug in errors:
        raise errors[slug]
    for client in clients:
        if client.slug == slug:
            return client
    known = ", ".join(c.slug for c in clients) or "none"
    raise ConfigError(settings.clients_dir, "", f"no client file for {name!r} (known: {known})")
