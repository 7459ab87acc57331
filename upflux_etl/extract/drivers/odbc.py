"""ODBC sources: a database reached through its ODBC driver, read with pyodbc into Arrow batches.

URL: ``odbc+<sqlglot dialect>://<ODBC connection string>``, for example
``odbc+postgres://DRIVER={PostgreSQL Unicode};SERVER=db;PORT=5432;DATABASE=erp;UID=upflux``
or ``odbc+mysql://DRIVER={MariaDB Unicode};SERVER=db;PORT=3306;DATABASE=erp;UID=upflux``.
The dialect (postgres, mysql, tsql, oracle) is the one standard queries are translated into
and the one whose statements make the session read-only. A URL holding a password lives in
the environment variable the client file names (`url_env`), never in a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from upflux_etl.extract.arrow_batches import rows_to_batches
from upflux_etl.extract.drivers.session import (
    identity_statements,
    session_statements,
    timeout_statements,
)
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.session_options import SessionOptions
from upflux_etl.extract.urls import odbc_pairs, odbc_parts, safe_url

# Connection-string options that make a driver stream instead of holding the whole result in
# the client, added unless the URL sets them. Measured on 2M rows: psqlODBC 13.02 holds
# 245 MB without declare/fetch and 37 MB with it. MariaDB Connector/ODBC streams with
# NO_CACHE from 3.1.17 on (MySQL's driver has the same option); Debian 12's 3.1.15 ignores it.
STREAMING = {
    "postgres": {"UseDeclareFetch": "1", "Fetch": "{batch_rows}"},
    "mysql": {"NO_CACHE": "1"},
}


@contextmanager
def odbc_batches(
    url: str,
    sql: str,
    schema: str | None,
    batch_rows: int,
    session: SessionOptions | None = None,
) -> Iterator[Iterator[pa.RecordBatch]]:
    """Run `sql` on a read-only ODBC session and yield an iterator of Arrow batches.

    The session is read-only twice over: pyodbc's `readonly=True` (SQL_ATTR_ACCESS_MODE, a
    hint most drivers ignore) and the dialect's own statement, committed before the query so
    the query's transaction is the first read-only one. Nothing is ever committed after the
    query: closing the connection rolls back whatever a statement might have done.
    """
    dialect, connection = odbc_parts(url)
    conn = odbc_connect(
        with_streaming(connection, dialect, batch_rows), dialect, session or SessionOptions()
    )
    try:
        cur = conn.cursor()
        for statement in odbc_session_statements(dialect, schema, session or SessionOptions()):
            cur.execute(statement)
        conn.commit()
        cur.execute(sql)
        if cur.description is None:
            raise SourceError(f"{safe_url(url)}: the query returned no rows (is it a select?)")
        names = [column[0] for column in cur.description]
        yield rows_to_batches(names, iter(lambda: cur.fetchmany(batch_rows), []))
    finally:
        conn.close()


def with_streaming(connection: str, dialect: str, batch_rows: int) -> str:
    """`connection` plus the dialect's streaming options it does not set itself."""
    present = {key.lower() for key, _ in odbc_pairs(connection)}
    extra = [
        f"{key}={value.format(batch_rows=batch_rows)}"
        for key, value in STREAMING.get(dialect, {}).items()
        if key.lower() not in present
    ]
    return ";".join([connection.rstrip("; "), *extra]) if extra else connection


# Drivers that honour ODBC's login and query timeouts (psqlODBC refuses the login timeout
# attribute outright: "unsupported connect attribute 113"); the others get statements.
_DRIVER_TIMEOUTS = ("tsql", "oracle")


def odbc_connect(connection: str, dialect: str, session: SessionOptions):
    """A pyodbc connection, read-only hinted, bounded and decoding the source's encoding."""
    import pyodbc

    bounded = dialect in _DRIVER_TIMEOUTS
    kwargs = {"timeout": session.connect_timeout_s} if bounded else {}
    conn = pyodbc.connect(connection, readonly=True, autocommit=False, **kwargs)
    if bounded:
        conn.timeout = session.statement_timeout_s
    if session.codec != "utf-8":  # non-Unicode columns arrive in the source's code page
        conn.setdecoding(pyodbc.SQL_CHAR, encoding=session.codec)
    return conn


def odbc_session_statements(dialect: str, schema: str | None, session: SessionOptions) -> list[str]:
    """Read-only, schema, application name and (PostgreSQL) statement timeout statements."""
    timeouts = (
        timeout_statements(dialect, session.statement_timeout_s) if dialect == "postgres" else []
    )
    return (
        session_statements(dialect, schema)
        + identity_statements(dialect, session.application_name)
        + timeouts
    )
