"""The local instance's SQLite event log, with its databases' connections kept open.

Dagster's `SqliteEventLogStorage` builds a SQLAlchemy engine, opens a connection and disposes
of both for every read and write (a load stores ~800 events: ~3,600 connections, 5 s of a load
measured here). This subclass keeps one engine per database with its connection (one per
thread), the index's and the latest run's; every write is still its own committed transaction,
so the files, their locking and what `dagster dev` reads are Dagster's own. Used by `upflux run` on the
local instance only (runner.instance_for); an instance whose dagster.yaml configures its
storage (PostgreSQL in production) keeps it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import SingletonThreadPool


class LocalEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` keeping one engine per shard (run or index database)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict[str, Engine] = {}
        self._checks_table = False
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> LocalEventLogStorage:
        """Built from the instance's config (`base_dir`), as Dagster builds its own."""
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                for old in [s for s in self._engines if s != INDEX_SHARD_NAME]:
                    self._engines.pop(old).dispose()  # an earlier run's database
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=SingletonThreadPool,
                    connect_args={
                        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                        "check_same_thread": False,
                    },
                )
                self._engines[shard] = engine
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    @property
    def supports_asset_checks(self) -> bool:
        """Whether the index has the asset checks' table: asked once, not at every check event.

        Dagster's class inspects the SQLite schema for each of a load's ~400 check events
        (0.7 s of a load measured here); a table the schema has does not go away during a run.
        """
        if not self._checks_table:  # a migration may still add it: only its presence is kept
            self._checks_table = bool(super().supports_asset_checks)
        return self._checks_table

    def dispose(self) -> None:
        """Close the kept connections, then what Dagster's class holds."""
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()
