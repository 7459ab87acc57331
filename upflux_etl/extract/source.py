"""Read-only source sessions that stream Arrow record batches: the one way in.

`open_batches` picks the driver for the URL (`extract/drivers/`): ADBC for PostgreSQL and
SQLite, a server-side cursor for the other SQLAlchemy backends, pyodbc for ODBC URLs. Every
failure of the source becomes one `SourceError` that names it without its password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from upflux_etl.extract.drivers.adbc import postgres_batches, sqlite_batches
from upflux_etl.extract.drivers.odbc import odbc_batches
from upflux_etl.extract.drivers.server_cursor import server_cursor_batches
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.session_options import SessionOptions
from upflux_etl.extract.transient import transient_reason
from upflux_etl.extract.urls import backend, safe_url, url_secret


@contextmanager
def open_batches(
    url: str,
    sql: str,
    *,
    schema: str | None,
    batch_rows: int,
    session: SessionOptions | None = None,
) -> Iterator[Iterator[pa.RecordBatch]]:
    """Run `sql` read-only and yield an iterator of Arrow record batches.

    Failures of the source (connecting, running, streaming) raise `SourceError` naming the
    source without its password, marked transient or not (`extract/transient.py`); errors of
    the caller's own code pass through unchanged. `session` names and bounds the session.
    """
    caller_error: BaseException | None = None
    try:
        with _session(url, sql, schema, batch_rows, session or SessionOptions()) as batches:
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


def _session(url: str, sql: str, schema: str | None, batch_rows: int, session: SessionOptions):
    name = backend(url)
    if name == "postgresql":
        return postgres_batches(url, sql, schema, batch_rows, session)
    if name == "sqlite":
        return sqlite_batches(url, sql, batch_rows)
    if name == "odbc":
        return odbc_batches(url, sql, schema, batch_rows, session)
    return server_cursor_batches(url, sql, schema, batch_rows, session)


def _guarded(batches: Iterator[pa.RecordBatch], url: str) -> Iterator[pa.RecordBatch]:
    # Batches are pulled by the caller: a connection lost mid-stream surfaces here.
    try:
        yield from batches
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors vary by family; re-raised as SourceError
        raise _source_error(url, exc) from None


def _source_error(url: str, exc: Exception) -> SourceError:
    message = f"{safe_url(url)}: {type(exc).__name__}: {_first_line(exc)}"
    secret = url_secret(url)
    return SourceError(
        message.replace(secret, "***") if secret else message, transient=transient_reason(exc)
    )


def source_error(url: str, exc: Exception) -> SourceError:
    """`exc` of a driver as the `SourceError` naming `url` without its password."""
    return _source_error(url, exc)


def _first_line(exc: Exception) -> str:
    args = exc.args
    # pyodbc errors are (sqlstate, message) and print as the tuple's repr
    text = args[1] if len(args) == 2 and all(isinstance(a, str) for a in args) else str(exc)
    return (text.strip().splitlines() or [""])[0][:500]
