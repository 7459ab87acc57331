"""A short read-only session for questions about a source, never for its data.

Its catalog, its privileges, the columns a query returns. Used by `upflux connect-test`, `upflux discover`, the index warning
of a load and the schema-drift check; extraction itself goes through `extract/source.py`.

The session is the extraction's: read-only, named for the DBA, connect- and
statement-time bounded (`extract/session_options.py`). Every failure is a `SourceError`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from upflux_etl.extract.drivers.server_cursor import bounded_session_statements, session_engine
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.session_options import SessionOptions
from upflux_etl.extract.source import source_error
from upflux_etl.extract.sql import QueryError, bound_statement
from upflux_etl.extract.urls import backend, dialect_of, odbc_parts


@dataclass
class Probe:
    """An open probe session; counts what it asked so the DBA's view can show it."""

    url: str
    dialect: str
    backend: str
    cursor: Any
    mariadb: bool = False
    statements: int = 0
    longest_s: float = 0.0
    type_names: dict[Any, str] = field(default_factory=dict)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """The rows of `sql` (parameters in the driver's own style)."""
        started = time.monotonic()
        if self.backend == "odbc":  # pyodbc's parameters are qmark
            sql = sql.replace("%s", "?")
        try:
            self.cursor.execute(sql, tuple(params)) if params else self.cursor.execute(sql)
            found = [tuple(r) for r in self.cursor.fetchall()] if self.cursor.description else []
        except Exception as exc:  # noqa: BLE001 - driver errors vary; re-raised as SourceError
            raise source_error(self.url, exc) from None
        finally:
            self.statements += 1
            self.longest_s = max(self.longest_s, time.monotonic() - started)
        return found

    def describe(self, sql: str) -> list[tuple[str, str | None]]:
        """(name, driver type name or None) of each column `sql` returns, no row fetched."""
        self.rows(wrapped(sql, self.dialect, "*", "1 = 0"))
        return [(d[0], self._type_name(d[1])) for d in self.cursor.description or []]

    def _type_name(self, code: Any) -> str | None:
        if code is None:
            return None
        if isinstance(code, type):  # pyodbc gives the Python type
            return code.__name__
        return self.type_names.get(code, str(code))


def wrapped(sql: str, dialect: str, select: str, where: str | None = None) -> str:
    """`select <select> from (<sql>) upflux_probe [where <where>]` in `dialect`.

    Written by sqlglot: T-SQL forbids a CTE inside a derived table, and sqlglot hoists it.
    """
    try:
        inner = bound_statement(sql, dialect)
        if not isinstance(inner, exp.Query):
            raise QueryError("not a query")
        outer = exp.select(select).from_(inner.subquery("upflux_probe"))
        return (outer.where(where) if where else outer).sql(dialect=dialect)
    except (QueryError, sqlglot.errors.SqlglotError):  # the source will say what is wrong
        return f"select {select} from ({sql}) upflux_probe" + (f" where {where}" if where else "")


@contextmanager
def open_probe(url: str, schema: str | None, session: SessionOptions) -> Iterator[Probe]:
    """A read-only probe session on `url` (raises `SourceError` when it cannot connect)."""
    name = backend(url)
    try:
        if name == "odbc":
            opened = _odbc(url, schema, session)
        elif name == "sqlite":
            opened = _sqlite(url)
        else:
            opened = _sqlalchemy(url, schema, session)
        with opened as probe:
            yield probe
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors vary; the message names the source
        raise source_error(url, exc) from None


@contextmanager
def _sqlalchemy(url: str, schema: str | None, session: SessionOptions) -> Iterator[Probe]:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = sa.create_engine(
            parsed.set(drivername="postgresql+psycopg"),
            connect_args=_postgres_args(schema, session),
            poolclass=sa.pool.NullPool,
        )
    else:
        engine = session_engine(url, session)
    try:
        with engine.connect() as conn:
            if parsed.get_backend_name() != "postgresql":
                for statement in bounded_session_statements(conn, url, schema, session):
                    conn.exec_driver_sql(statement)
            conn.commit()
            raw = conn.connection.dbapi_connection
            assert raw is not None
            probe = Probe(url, dialect_of(url), backend(url), raw.cursor())
            probe.mariadb = bool(getattr(conn.dialect, "is_mariadb", False))
            probe.type_names = _type_names(parsed.get_backend_name(), raw)
            try:
                yield probe
            finally:
                raw.rollback()
    finally:
        engine.dispose()


def _postgres_args(schema: str | None, session: SessionOptions) -> dict[str, Any]:
    options = (
        "-c default_transaction_read_only=on -c client_encoding=UTF8"
        f" -c statement_timeout={session.statement_timeout_s * 1000}"
    )
    if schema:
        options += f" -c search_path={schema}"
    return {
        "options": options,
        "application_name": session.application_name,
        "connect_timeout": session.connect_timeout_s,
    }


def _type_names(name: str, raw: Any) -> dict[Any, str]:
    if name == "postgresql":
        from psycopg.postgres import types

        return {t.oid: t.name for t in types}
    if name == "mysql":
        from pymysql.constants import FIELD_TYPE

        return {v: k for k, v in vars(FIELD_TYPE).items() if k.isupper()}
    return {}


@contextmanager
def _sqlite(url: str) -> Iterator[Probe]:
    import sqlite3

    path = sa.engine.make_url(url).database
    if not path or not Path(path).is_file():
        raise SourceError(f"SQLite database file {path} not found")
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        yield Probe(url, "sqlite", "sqlite", conn.cursor())
    finally:
        conn.close()


@contextmanager
def _odbc(url: str, schema: str | None, session: SessionOptions) -> Iterator[Probe]:
    from upflux_etl.extract.drivers.odbc import odbc_connect, odbc_session_statements

    dialect, connection = odbc_parts(url)
    conn = odbc_connect(connection, dialect, session)
    try:
        cur = conn.cursor()
        for statement in odbc_session_statements(dialect, schema, session):
            cur.execute(statement)
        conn.commit()
        yield Probe(url, dialect, "odbc", cur)
    finally:
        conn.rollback()
        conn.close()
