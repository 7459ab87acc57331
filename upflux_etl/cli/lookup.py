"""Finding a client by the name a person typed."""

from __future__ import annotations

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.loader import Catalog, load_clients
from upflux_etl.catalog.models import ClientSpec, slugify
from upflux_etl.definitions import load_project
from upflux_etl.settings import Settings


def find_client(settings: Settings, name: str) -> tuple[Catalog, ClientSpec]:
    """The catalog and the named client; its file's error if it is broken."""
    catalog = load_project(settings)
    loaded = load_clients(settings, catalog)
    slug = slugify(name)
    if slug in loaded.errors:
        raise loaded.errors[slug]
    for client in loaded.clients:
        if client.slug == slug:
            return catalog, client
    known = ", ".join(c.slug for c in loaded.clients) or "none"
    raise ConfigError(settings.clients_dir, "", f"no client file for {name!r} (known: {known})")
