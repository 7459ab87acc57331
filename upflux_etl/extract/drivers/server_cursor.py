"""SQLAlchemy backends without ADBC (MariaDB/MySQL, SQL Server, Oracle).

Rows are streamed with a server-side cursor and turned into Arrow batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import sqlalchemy as sa

from upflux_etl.extract.arrow_batches import rows_to_batches
from upflux_etl.extract.drivers.session import session_statements
from upflux_etl.extract.urls import dialect_of


@contextmanager
def server_cursor_batches(
    url: str, sql: str, schema: str | None, batch_rows: int
) -> Iterator[Iterator[pa.RecordBatch]]:
    """Run `sql` on a read-only SQLAlchemy session; yield its rows as Arrow batches."""
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
