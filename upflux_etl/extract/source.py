"""Read-only source sessions that stream Arrow record batches.

Three paths: ADBC (PostgreSQL, SQLite) hands Arrow batches straight from the driver; the other
SQLAlchemy backends (MariaDB/MySQL, SQL Server, Oracle) stream rows with a server-side cursor;
ODBC URLs (`odbc+<sqlglot dialect>://<connection string>`, see `extract/odbc.py`) stream rows
with pyodbc. Rows become Arrow batches with one shared text conversion (`rows_to_batches`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import sqlalchemy as sa
from sqlglot import exp

from upflux_etl.catalog.models import SourceSpec
from upflux_etl.extract.sql import DIALECTS

ODBC_PREFIX = "odbc+"
# Dialects whose sessions we know how to make read-only (or document the grant for).
ODBC_DIALECTS = ("postgres", "mysql", "tsql", "oracle")
# key=value pairs of an ODBC connection string; a value in braces may hold ';' ("}}" is "}").
_ODBC_PAIR = re.compile(r"\s*([^=;]+?)\s*=\s*(\{(?:[^}]|\}\})*\}|[^;]*)\s*(?:;|$)")
_ODBC_SECRETS = {"pwd", "password"}


class SourceError(RuntimeError):
    """The source cannot be reached or refused the query."""


def resolve_url(source: SourceSpec, data_dir: Path, owner: str) -> str:
    """The source URL: `url` with `{data_dir}` filled in, or the value of `url_env`.

    Raises:
        SourceError: the environment variable is not set (its name is said; never its value),
            or an ODBC `url` in the client file holds a password.
    """
    if source.url_env:
        value = os.environ.get(source.url_env)
        if not value:
            raise SourceError(
                f"{owner}: environment variable {source.url_env} (the source URL) is not set"
            )
        return value
    if _secret(source.url):
        raise SourceError(
            f"{owner}: the source url holds a password: put the whole URL in an environment "
            "variable (url_env)"
        )
    return source.url.replace("{data_dir}", str(data_dir))


def is_odbc(url: str) -> bool:
    """Whether `url` is an ODBC source (`odbc+<dialect>://<connection string>`)."""
    return url.startswith(ODBC_PREFIX)


def odbc_parts(url: str) -> tuple[str, str]:
    """The sqlglot dialect and the ODBC connection string of an ODBC URL."""
    head, sep, connection = url.partition("://")
    name = head[len(ODBC_PREFIX) :]
    dialect = DIALECTS.get(name, name)
    if not sep or dialect not in ODBC_DIALECTS:
        raise SourceError(
            f"{head}://...: an ODBC source URL is odbc+<dialect>://<connection string> with a "
            f"dialect in {', '.join(ODBC_DIALECTS)}"
        )
    return dialect, connection


def odbc_pairs(connection: str) -> list[tuple[str, str]]:
    """The (key, raw value) pairs of an ODBC connection string, in order."""
    return [(m[1], m[2]) for m in _ODBC_PAIR.finditer(connection) if m[1]]


def backend(url: str) -> str:
    """The backend of a URL: SQLAlchemy's name ("postgresql", "sqlite", "mysql"...) or "odbc"."""
    if is_odbc(url):
        return "odbc"
    return sa.engine.make_url(url).get_backend_name()


def dialect_of(url: str) -> str:
    """The sqlglot dialect to translate standard queries into for this URL."""
    if is_odbc(url):
        return odbc_parts(url)[0]
    name = backend(url)
    if name not in DIALECTS:
        raise SourceError(f"no SQL dialect known for database backend {name!r}")
    return DIALECTS[name]


def safe_url(url: str) -> str:
    """The URL with any password masked, fit for messages."""
    if is_odbc(url):
        head, _, connection = url.partition("://")
        shown = [
            f"{key}=***" if key.lower() in _ODBC_SECRETS else f"{key}={value}"
            for key, value in odbc_pairs(connection)
        ]
        return f"{head}://{';'.join(shown)}"
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparseable URL is shown by its scheme only
        return url.split(":", 1)[0] + "://..."


def session_statements(dialect: str, schema: str | None) -> list[str]:
    """The statements that make a session read-only and select `schema`, in `dialect`.

    SQL Server and Oracle have no session-wide read-only switch: their sources rely on an
    account granted only SELECT (docs/DECISIONS.md, "Sources").
    """
    name = exp.to_identifier(schema, quoted=True).sql(dialect=dialect) if schema else None
    if dialect == "postgres":
        return ["set session characteristics as transaction read only"] + (
            [f"set search_path to {name}"] if name else []
        )
    if dialect == "mysql":
        return ["set session transaction read only"] + ([f"use {name}"] if name else [])
    if dialect == "tsql":
        return [f"use {name}"] if name else []
    if dialect == "oracle":
        return [f"alter session set current_schema = {name}"] if name else []
    return []


@contextmanager
def open_batches(
    url: str, sql: str, *, schema: str | None, batch_rows: int
) -> Iterator[Iterator[pa.RecordBatch]]:
    """Run `sql` read-only and yield an iterator of Arrow record batches.

    Failures of the source (connecting, running, streaming) raise `SourceError` naming the
    source without its password; errors of the caller's own code pass through unchanged.
    """
    caller_error: BaseException | None = None
    try:
        with _session(url, sql, schema, batch_rows) as batches:
            try:
                yield _guarded(batches, url)
            except BaseException as exc:
                caller_error = exc
                raise
    except SourceError:
        raise
    except Exception as exc:  # driver errors vary by family; the message names the source
        if exc is caller_error:
            raise
        raise _source_error(url, exc) from None


@contextmanager
def _session(url: str, sql: str, schema: str | None, batch_rows: int):
    name = backend(url)
    if name == "postgresql":
        with _adbc_postgres(url, sql, schema) as reader:
            yield _rebatch(reader, batch_rows)
    elif name == "sqlite":
        with _adbc_sqlite(url, sql) as reader:
            yield _rebatch(reader, batch_rows)
    elif name == "odbc":
        from upflux_etl.extract.odbc import odbc_batches  # pyodbc needs libodbc: load on use

        with odbc_batches(url, sql, schema, batch_rows) as batches:
            yield batches
    else:
        with _sqlalchemy(url, sql, schema, batch_rows) as batches:
            yield batches


def _guarded(batches: Iterator[pa.RecordBatch], url: str) -> Iterator[pa.RecordBatch]:
    # Batches are pulled by the caller: a connection lost mid-stream surfaces here.
    try:
        yield from batches
    except SourceError:
        raise
    except Exception as exc:
        raise _source_error(url, exc) from None


def _source_error(url: str, exc: Exception) -> SourceError:
    message = f"{safe_url(url)}: {type(exc).__name__}: {_first_line(exc)}"
    secret = _secret(url)
    return SourceError(message.replace(secret, "***") if secret else message)


def _first_line(exc: Exception) -> str:
    args = exc.args
    # pyodbc errors are (sqlstate, message) and print as the tuple's repr
    text = args[1] if len(args) == 2 and all(isinstance(a, str) for a in args) else str(exc)
    return (text.strip().splitlines() or [""])[0][:500]


def _secret(url: str | None) -> str | None:
    """The password a URL holds, if any."""
    if not url:
        return None
    if is_odbc(url):
        values = [v for k, v in odbc_pairs(url.partition("://")[2]) if k.lower() in _ODBC_SECRETS]
        braced = [v[1:-1].replace("}}", "}") if v.startswith("{") else v for v in values]
        return next((v for v in braced if v), None)
    try:
        return sa.engine.make_url(url).password or None
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: nothing to mask by name
        return None


@contextmanager
def _adbc_postgres(url: str, sql: str, schema: str | None):
    import adbc_driver_postgresql.dbapi as pg

    # Set at connection start by libpq, so no statement of the session can write.
    options = "-c default_transaction_read_only=on"
    if schema:
        options += f" -c search_path={schema}"
    parsed = sa.engine.make_url(url)
    if parsed.query.get("options"):
        options = f"{parsed.query['options']} {options}"
    base = parsed.set(
        drivername="postgresql", query={k: v for k, v in parsed.query.items() if k != "options"}
    )
    uri = base.render_as_string(hide_password=False)
    # libpq reads %20 (not SQLAlchemy's "+") as a space inside options.
    uri += ("&" if "?" in uri else "?") + "options=" + quote(options, safe="")
    with pg.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(sql)
        yield cur.fetch_record_batch()


@contextmanager
def _adbc_sqlite(url: str, sql: str):
    import adbc_driver_sqlite.dbapi as lite

    path = sa.engine.make_url(url).database
    if not path or not Path(path).is_file():
        raise SourceError(f"SQLite database file {path} not found")
    # mode=ro: the session cannot write, whatever the query says.
    with lite.connect(f"file:{Path(path).resolve()}?mode=ro") as conn, conn.cursor() as cur:
        cur.execute(sql)
        yield cur.fetch_record_batch()


@contextmanager
def _sqlalchemy(url: str, sql: str, schema: str | None, batch_rows: int):
    connect_args = {"readonly": True} if "pyodbc" in url else {}
    engine = sa.create_engine(url, connect_args=connect_args, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            for statement in session_statements(dialect_of(url), schema):
                conn.exec_driver_sql(statement)
            # The read-only characteristic applies from the next transaction: the query's.
            conn.commit()
            # no_parameters: the driver gets the query as written; pymysql would otherwise
            # %-format it and fail on DATE_FORMAT(x, '%Y').
            result = conn.execution_options(
                stream_results=True, yield_per=batch_rows, no_parameters=True
            ).exec_driver_sql(sql)
            yield rows_to_batches(list(result.keys()), result.partitions(batch_rows))
    finally:
        engine.dispose()


def rows_to_batches(
    names: list[str], chunks: Iterable[Sequence[Sequence]]
) -> Iterator[pa.RecordBatch]:
    """Arrow batches (every column text) from chunks of DB-API rows; one empty batch with the
    columns when there are no rows, so the warehouse still learns the query's columns."""
    empty = True
    for rows in chunks:
        empty = False
        columns = list(zip(*rows, strict=True))
        yield pa.RecordBatch.from_arrays([_to_arrow(col) for col in columns], names=names)
    if empty:
        yield pa.RecordBatch.from_pylist([], schema=pa.schema([(n, pa.string()) for n in names]))


def _to_arrow(values) -> pa.Array:
    # Driver types vary by family and by batch (an all-null batch has no type): values that
    # are not plain numbers or strings travel as ISO text and are typed in the warehouse.
    def text(v):
        if v is None or isinstance(v, str):
            return v
        if isinstance(v, dt.datetime | dt.date | dt.time):
            return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
        if isinstance(v, decimal.Decimal | float | int | bool):
            return str(v)
        if isinstance(v, bytes | bytearray):
            return v.decode("utf-8", "replace")
        return str(v)

    return pa.array([text(v) for v in values], pa.string())


def _rebatch(reader: pa.RecordBatchReader, batch_rows: int) -> Iterator[pa.RecordBatch]:
    empty = True
    for batch in reader:
        for start in range(0, batch.num_rows, batch_rows):
            empty = False
            yield batch.slice(start, batch_rows)
    if empty:  # the warehouse still learns the query's columns
        yield pa.RecordBatch.from_pylist([], schema=reader.schema)
