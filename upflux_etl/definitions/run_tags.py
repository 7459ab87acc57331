"""The run tags a hospital's runs carry: the run queue's limits read them (deploy/dagster.yaml)."""

from __future__ import annotations

import hashlib

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from upflux_etl.catalog.models import ClientSpec, SourceSpec

CLIENT_TAG = "upflux/client"


def source_limit_key(kind: str, limit: int) -> str:
    """The tag key of a source read by at most `limit` runs at once (one limit per key)."""
    return f"upflux/source/{kind}/max{limit}"


def source_database(source: SourceSpec) -> str:
    """A stable name of the database a source reads, shared by hospitals on one server.

    The environment variable's name for `url_env` (its value is a secret, and is read only
    when the run connects); host, port and database of an inline `url` (it holds no password).
    A short digest keeps the tag value within Dagster's tag length and charset.
    """
    if source.url_env:
        name = f"env:{source.url_env}"
    else:
        try:
            url = make_url(source.url or "")
            name = f"{url.drivername}://{url.host or ''}:{url.port or ''}/{url.database or ''}"
        except ArgumentError:
            name = source.url or ""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def client_run_tags(client: ClientSpec) -> dict[str, str]:
    """The hospital's tag and, per source, its database under the key of its read limit."""
    tags = {CLIENT_TAG: client.slug}
    for kind, source in sorted(client.sources.items()):
        tags[source_limit_key(kind, source.max_concurrent_queries)] = source_database(source)
    return tags
