"""SQLAlchemy backends without ADBC (MariaDB/MySQL, SQL Server, Oracle).

Rows are streamed with a server-side cursor and turned into Arrow batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import sqlalchemy as sa

from upflux_etl.extract.arrow_batches import rows_to_batches
from upflux_etl.extract.drivers.session import (
    identity_statements,
    session_statements,
    timeout_statements,
)
from upflux_etl.extract.session_options import SessionOptions
from upflux_etl.extract.urls import dialect_of


@contextmanager
def server_cursor_batches(
    url: str,
    sql: str,
    schema: str | None,
    batch_rows: int,
    session: SessionOptions | None = None,
) -> Iterator[Iterator[pa.RecordBatch]]:
    """Run `sql` on a read-only SQLAlchemy session; yield its rows as Arrow batches."""
    engine = session_engine(url, session or SessionOptions())
    try:
        with engine.connect() as conn:
            for statement in bounded_session_statements(conn, url, schema, session):
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


def session_engine(url: str, session: SessionOptions) -> sa.Engine:
    """An engine whose connections are named and time-bounded (`session`), not pooled."""
    connect_args: dict[str, object] = {"readonly": True} if "pyodbc" in url else {}
    if sa.engine.make_url(url).get_backend_name() == "mysql":
        # The server converts each column's charset (latin1...) to utf8mb4 for the driver.
        connect_args |= {
            "connect_timeout": session.connect_timeout_s,
            "program_name": session.application_name,
            "charset": "utf8mb4",
        }
    return sa.create_engine(url, connect_args=connect_args, poolclass=sa.pool.NullPool)


def bounded_session_statements(
    conn: sa.Connection, url: str, schema: str | None, session: SessionOptions | None
) -> list[str]:
    """The statements that make the session read-only, named, bounded and in `schema`."""
    dialect = dialect_of(url)
    mariadb = bool(getattr(conn.dialect, "is_mariadb", False))
    extra = (
        identity_statements(dialect, session.application_name, mariadb=mariadb)
        + timeout_statements(dialect, session.statement_timeout_s, mariadb=mariadb)
        if session
        else []
    )
    return session_statements(dialect, schema) + extra
