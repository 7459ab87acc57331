"""Runtime settings, read from the environment only when asked (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def project_root() -> Path:
    """The checkout that holds `clients/`, `connectors/`, `expectations/` and `assets/`."""
    return Path(__file__).resolve().parent.parent


DEFAULT_MEMORY_LIMIT = "1GB"


@dataclass(frozen=True)
class Settings:
    """Where the declarative files are read from and where state is written.

    Attributes:
        root: folder holding `connectors/`, `expectations/` and `assets/`.
        clients_dir: folder of client files (`UPFLUX_CLIENTS_DIR`, default `clients/`).
        data_dir: warehouses, reports and state (`UPFLUX_DATA_DIR`, default `data/`).
        state_url: SQLAlchemy URL of the cross-hospital store (`UPFLUX_STATE_URL`,
            default SQLite in WAL mode under `data_dir`).
        duckdb_memory_limit: DuckDB's `memory_limit` for a load's build connections
            (`UPFLUX_DUCKDB_MEMORY_LIMIT`, default 1GB; also the nightly mining's and the
            export's); beyond it DuckDB spills to the run's build folder.
        writer_wait_s: how long a run waits for another run of the same hospital to end
            before it stops at its start (`UPFLUX_WRITER_WAIT_S`, default 60 s; 0: never wait).
    """

    root: Path
    clients_dir: Path
    data_dir: Path
    state_url: str
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT
    writer_wait_s: float = 60.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from environment variables (defaults relative to the checkout)."""
        env = os.environ if environ is None else environ
        root = Path(env.get("UPFLUX_ROOT") or project_root()).resolve()
        clients = Path(env.get("UPFLUX_CLIENTS_DIR") or root / "clients").resolve()
        data = Path(env.get("UPFLUX_DATA_DIR") or root / "data").resolve()
        state = env.get("UPFLUX_STATE_URL") or f"sqlite:///{data / 'state.sqlite'}"
        memory = env.get("UPFLUX_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
        wait = float(env.get("UPFLUX_WRITER_WAIT_S") or 60.0)
        return cls(
            root=root,
            clients_dir=clients,
            data_dir=data,
            state_url=state,
            duckdb_memory_limit=memory,
            writer_wait_s=wait,
        )

    def client_dir(self, slug: str) -> Path:
        """The folder holding one hospital's warehouse, builds and reports."""
        return self.data_dir / slug
