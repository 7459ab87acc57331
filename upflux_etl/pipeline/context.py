"""What every step of one load needs to know."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from upflux_etl.catalog.models import ClientSpec, DatasetSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.extract.pii import pseudonym_key
from upflux_etl.pipeline.history import HistoryWindow
from upflux_etl.settings import Settings
from upflux_etl.warehouse.files import WarehouseFiles


class LoadConfigError(RuntimeError):
    """The load cannot start: something the client file points to is missing."""


@dataclass(frozen=True)
class LoadContext:
    """One hospital, one load (= one Dagster run)."""

    settings: Settings
    catalog: Catalog
    client: ClientSpec
    run_id: str
    full: bool
    now: dt.datetime
    # An explicit key rotation (`upflux run --full --rotate-key`, pipeline/keys.py).
    rotate_key: bool = False
    # A period of a historical load (`upflux run --history`, pipeline/history.py).
    history: HistoryWindow | None = None

    @property
    def files(self) -> WarehouseFiles:
        """The hospital's warehouse files."""
        return WarehouseFiles(self.settings.client_dir(self.client.slug))

    @property
    def mode(self) -> str:
        """The load mode: "full" or "incremental"."""
        return "full" if self.full else "incremental"

    @property
    def memory_limit(self) -> str:
        """DuckDB's `memory_limit` for the build's connections (a setting)."""
        return self.settings.duckdb_memory_limit

    def dataset(self, name: str) -> DatasetSpec:
        """The canonical dataset named `name`."""
        return self.catalog.canonical.datasets[name]

    def pseudonym_key(self) -> bytes:
        """The client's HMAC key (see `client_pseudonym_key`)."""
        return client_pseudonym_key(self.client)


def client_pseudonym_key(client: ClientSpec) -> bytes:
    """A client's HMAC key, from the environment variable its file names.

    Raises:
        LoadConfigError: the variable is unset or too short (its name is said, never its value).
    """
    env = client.pseudonymisation.key_env
    raw = os.environ.get(env)
    if not raw:
        raise LoadConfigError(
            f"{client.file}: pseudonymisation.key_env: environment variable {env} is not set "
            "(it holds the pseudonymisation key; `make demo` writes a demo key to .env)"
        )
    try:
        return pseudonym_key(raw)
    except ValueError as exc:
        raise LoadConfigError(f"{client.file}: pseudonymisation.key_env: {env}: {exc}") from None
