"""What a client loads, derived from its file and the catalog (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from upflux_etl.catalog.models import ClientSpec, DatasetSpec

if TYPE_CHECKING:
    from upflux_etl.catalog.reader import Catalog


def client_datasets(client: ClientSpec, catalog: Catalog) -> list[str]:
    """The canonical datasets this client loads, in canonical order.

    A dataset is loaded when the client gives its own query for it, or when the source it is
    read from (`canonical.yaml` `source`) has a profile with a standard query for it; unless
    the client switches it off.
    """
    out = []
    for name, spec in catalog.canonical.datasets.items():
        override = client.datasets.get(name)
        if override and not override.enabled:
            continue
        source = client.sources.get(dataset_source(client, spec))
        profile = catalog.profiles.get(source.profile) if source and source.profile else None
        if name in client.queries or (profile is not None and name in profile.queries):
            out.append(name)
    return out


def dataset_source(client: ClientSpec, spec: DatasetSpec) -> str:
    """The name of the client's source a dataset is read from.

    The one its entry under `datasets:` names, else the canonical dataset's own (`erp`,
    `platform`).
    """
    override = client.datasets.get(spec.name)
    return override.source if override and override.source else spec.source


def merged_mappings(client: ClientSpec, catalog: Catalog) -> dict[str, dict[str, str]]:
    """Every mapping kind: the profiles' standard codes, overridden code by code by the client."""
    merged: dict[str, dict[str, str]] = {}
    for source in client.sources.values():
        if source.profile is None:
            continue
        for kind, codes in catalog.profiles[source.profile].mappings.items():
            merged.setdefault(kind, {}).update({str(k): v for k, v in codes.items()})
    for kind, codes in client.mappings.items():
        merged.setdefault(kind, {}).update(codes)
    return merged
