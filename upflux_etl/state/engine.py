"""Engines for the state store: SQLite in WAL mode for one machine, PostgreSQL for many."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from upflux_etl.state.schema import ADDED_COLUMNS, SCHEMA_VERSION, Tables, append_only_ddl

BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "upflux_write"
# Any constant works: it only has to be the same for every process creating the schema.
_PG_SCHEMA_LOCK = 7_142_003


def make_engine(url: str) -> sa.Engine:
    """An engine for `url`; SQLite connections get WAL, a busy timeout and explicit BEGINs."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    kwargs: dict[str, Any] = {
        "connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    }
    if parsed.database in (None, "", ":memory:"):
        kwargs["poolclass"] = StaticPool
    else:
        # The default store lives under the data folder, which a fresh checkout lacks.
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def writer(engine: sa.Engine) -> sa.Engine:
    """The same engine, marked so that SQLite takes the write lock when a transaction begins."""
    return engine.execution_options(**{_WRITE_OPTION: True})


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not open transactions itself: `_sqlite_on_begin` does it, so a writer
    # takes the lock up front (BEGIN IMMEDIATE) instead of failing to upgrade a read lock.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: sa.Connection) -> None:
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that holds the write lock from its first statement (SQLite) or not (PG)."""
    with writer(engine).begin() as conn:
        yield conn


def ensure_schema(engine: sa.Engine, tables: Tables) -> None:
    """Create the tables, the append-only triggers and the schema version if missing."""
    dialect = engine.dialect.name
    schema = tables.metadata.schema
    with write_transaction(engine) as conn:
        if dialect == "postgresql":
            # Several processes may start at once; CREATE ... IF NOT EXISTS still races.
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_SCHEMA_LOCK)))
            if schema:
                conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
        tables.metadata.create_all(conn)
        for statement in append_only_ddl(dialect, schema):
            conn.exec_driver_sql(statement)
        version = conn.execute(sa.select(sa.func.max(tables.schema_version.c.version))).scalar()
        if version is not None and version < SCHEMA_VERSION:
            _migrate(conn, tables, version)
        if version is None or version < SCHEMA_VERSION:
            conn.execute(
                tables.schema_version.insert().values(
                    version=SCHEMA_VERSION, applied_at=datetime.now(UTC)
                )
            )
        elif version > SCHEMA_VERSION:
            raise RuntimeError(
                f"state store schema version {version} is newer than this code "
                f"({SCHEMA_VERSION}): upgrade upflux-etl"
            )


def _migrate(conn: sa.Connection, tables: Tables, version: int) -> None:
    """Add the columns of the versions after `version` that the store's tables lack."""
    schema = tables.metadata.schema
    prefix = f'"{schema}".' if schema else ""
    for step in range(version + 1, SCHEMA_VERSION + 1):
        table, column, sql_type = ADDED_COLUMNS[step]
        present = {c["name"] for c in sa.inspect(conn).get_columns(table, schema=schema)}
        if column not in present:
            conn.exec_driver_sql(f"ALTER TABLE {prefix}{table} ADD COLUMN {column} {sql_type}")
