"""Which query a client runs for a dataset, in which dialect, with which establishment filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from upflux_etl.catalog.clients import dataset_source
from upflux_etl.catalog.models import ClientSpec

if TYPE_CHECKING:
    from upflux_etl.catalog.reader import Catalog


@dataclass(frozen=True)
class ClientQuery:
    """A dataset's query as the client file and its profile declare it.

    Attributes:
        sql: the query, as written.
        dialect: the dialect it is written in; None: the source URL's own.
        name: where it comes from, for messages (file and field).
        establishment: source table -> establishment column; empty: no filter.
        establishment_value: the client's establishment.
    """

    sql: str
    dialect: str | None
    name: str
    establishment: dict[str, str] = field(default_factory=dict)
    establishment_value: str | int | None = None


def client_query(client: ClientSpec, catalog: Catalog, dataset: str) -> ClientQuery:
    """The query `client` runs for `dataset`: its own (inline or file), else its profile's."""
    spec = catalog.canonical.datasets[dataset]
    source = client.sources[dataset_source(client, spec)]
    profile = catalog.profiles.get(source.profile) if source.profile else None
    if dataset in client.queries:
        own = client.datasets[dataset]
        field_name = "sql" if own.sql else "query"
        sql, name = client.queries[dataset], f"{client.file}: datasets.{dataset}.{field_name}"
        if own.query:  # the query file too: a refusal names the file to fix
            name += f" ({own.query})"
    elif profile is not None:
        sql = profile.queries[dataset]
        name = f"connectors/{profile.name}/{profile.datasets[dataset]}"
    else:
        raise KeyError(f"{client.file}: no query for dataset {dataset}")
    dialect = source.dialect or (profile.dialect if profile else None)
    filt = source.establishment
    if filt is None:
        return ClientQuery(sql, dialect, name)
    columns = {**(profile.establishment_columns if profile else {}), **filt.columns}
    return ClientQuery(sql, dialect, name, columns, filt.value)
