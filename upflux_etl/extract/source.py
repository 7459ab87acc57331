"""Read-only source sessions that stream Arrow record batches.

Two paths: ADBC (PostgreSQL, SQLite) hands Arrow batches straight from the driver; every
other SQLAlchemy backend (MariaDB, ODBC, SQL Server, Oracle) streams rows with a
server-side cursor and turns each batch into Arrow.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import sqlalchemy as sa

from upflux_etl.catalog.models import SourceSpec
from upflux_etl.extract.sql import DIALECTS


class SourceError(RuntimeError):
    """The source cannot be reached or refused the query."""


def resolve_url(source: SourceSpec, data_dir: Path, owner: str) -> str:
    """The source URL: `url` with `{data_dir}` filled in, or the value of `url_env`.

    Raises:
        SourceError: the environment variable is not set (its name is said; never its value).
    """
    if source.url_env:
        value = os.environ.get(source.url_env)
        if not value:
            raise SourceError(
                f"{owner}: environment variable {source.url_env} (the source URL) is not set"
            )
        return value
    return source.url.replace("{data_dir}", str(data_dir))


def backend(url: str) -> str:
    """The SQLAlchemy backend name of a URL ("postgresql", "sqlite", "mysql"...)."""
    return sa.engine.make_url(url).get_backend_name()


def dialect_of(url: str) -> str:
    """The sqlglot dialect to translate standard queries into for this URL."""
    name = backend(url)
    if name not in DIALECTS:
        raise SourceError(f"no SQL dialect known for database backend {name!r}")
    return DIALECTS[name]


def safe_url(url: str) -> str:
    """The URL with any password masked, fit for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparseable URL is shown by its scheme only
        return url.split(":", 1)[0] + "://..."


@contextmanager
def open_batches(
    url: str, sql: str, *, schema: str | None, batch_rows: int
) -> Iterator[Iterator[pa.RecordBatch]]:
    """Run `sql` read-only and yield an iterator of Arrow record batches."""
    name = backend(url)
    try:
        if name == "postgresql":
            with _adbc_postgres(url, sql, schema) as reader:
                yield _rebatch(reader, batch_rows)
        elif name == "sqlite":
            with _adbc_sqlite(url, sql) as reader:
                yield _rebatch(reader, batch_rows)
        else:
            with _sqlalchemy(url, sql, schema, batch_rows) as batches:
                yield batches
    except SourceError:
        raise
    except Exception as exc:  # driver errors vary by family; the message names the source
        raise SourceError(f"{safe_url(url)}: {type(exc).__name__}: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:500]


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
    name = backend(url)
    connect_args = {"readonly": True} if "pyodbc" in url else {}
    engine = sa.create_engine(url, connect_args=connect_args, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if name in ("mysql", "mariadb"):
                conn.exec_driver_sql("set session transaction read only")
                if schema:
                    conn.exec_driver_sql(f"use `{schema}`")
            result = conn.execution_options(
                stream_results=True, yield_per=batch_rows
            ).exec_driver_sql(sql)
            yield _rows_to_batches(result, batch_rows)
    finally:
        engine.dispose()


def _rows_to_batches(result, batch_rows: int) -> Iterator[pa.RecordBatch]:
    names = list(result.keys())
    empty = True
    for rows in result.partitions(batch_rows):
        empty = False
        columns = list(zip(*rows))
        yield pa.RecordBatch.from_arrays([_to_arrow(col) for col in columns], names=names)
    if empty:  # the warehouse still learns the query's columns
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
