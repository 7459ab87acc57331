"""Writing tables to the demo databases.

Arrow + ADBC bulk ingest for SQLite and PostgreSQL, batched ``executemany`` through
SQLAlchemy/pymysql for MariaDB.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from hospitalis_demo.arrow import for_backend
from hospitalis_demo.schema import Table, ddl

MYSQL_BATCH = 5_000


def backend_of(url: str) -> str:
    """``sqlite``, ``postgresql`` or ``mysql`` from a SQLAlchemy-style URL."""
    name = make_url(url).get_backend_name()
    if name in ("sqlite", "postgresql"):
        return name
    if name in ("mysql", "mariadb"):
        return "mysql"
    raise ValueError(f"unsupported database URL for the demo ERP: {url!r}")


class Target:
    """One database (and optional schema) receiving tables.

    Args:
        url: SQLAlchemy-style URL.
        schema: PostgreSQL schema or MariaDB database to (re)create; ``None`` writes to the
            URL's default.
    """

    def __init__(self, url: str, schema: str | None = None):
        self.url, self.schema, self.backend = url, schema, backend_of(url)
        self._tables: list[Table] = []
        if self.backend == "sqlite":
            import adbc_driver_sqlite.dbapi as adbc_sqlite

            path = Path(make_url(url).database or "")
            if not path.is_absolute():
                raise ValueError(f"SQLite URL must hold an absolute path: {url!r}")
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = adbc_sqlite.connect(str(path))
        elif self.backend == "postgresql":
            import adbc_driver_postgresql.dbapi as adbc_pg

            plain = make_url(url).set(drivername="postgresql")
            self._conn = adbc_pg.connect(plain.render_as_string(hide_password=False))
        else:
            self._engine = sa.create_engine(url)
            self._conn = self._engine.connect()
        self._prepare_schema()

    def _execute(self, sql: str) -> None:
        if self.backend == "mysql":
            self._conn.exec_driver_sql(sql)
        else:
            cur = self._conn.cursor()
            cur.execute(sql)
            cur.close()

    def _prepare_schema(self) -> None:
        if not self.schema:
            return
        if self.backend == "postgresql":
            self._execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            self._execute(f'CREATE SCHEMA "{self.schema}"')
        elif self.backend == "mysql":
            self._execute(f"DROP DATABASE IF EXISTS `{self.schema}`")
            self._execute(f"CREATE DATABASE `{self.schema}` CHARACTER SET utf8mb4")
        self.commit()

    def qualified(self, name: str) -> str:
        """Table name with its schema, quoted for the backend."""
        if not self.schema or self.backend == "sqlite":
            return name
        q = "`" if self.backend == "mysql" else '"'
        return f"{q}{self.schema}{q}.{name}"

    def create(self, tables: tuple[Table, ...]) -> None:
        """Drop and create the tables (indexes come in :meth:`finish`)."""
        for table in tables:
            self._execute(f"DROP TABLE IF EXISTS {self.qualified(table.name)}")
            self._execute(ddl(table, self.backend, self.qualified(table.name)))
            self._tables.append(table)
        self.commit()

    def append(self, name: str, data: pa.Table) -> None:
        """Append rows (a logical Arrow table from :func:`arrow.to_arrow`)."""
        if not data.num_rows:
            return
        self.append_physical(name, for_backend(data, self.backend))

    def append_physical(self, name: str, physical: pa.Table) -> None:
        """Append rows already in the backend's physical form."""
        if self.backend == "mysql":
            self._append_mysql(name, physical)
            return
        cur = self._conn.cursor()
        kwargs = {"db_schema_name": self.schema} if self.schema else {}
        cur.adbc_ingest(name, physical, mode="append", **kwargs)
        cur.close()

    def _append_mysql(self, name: str, data: pa.Table) -> None:
        cols = ", ".join(data.column_names)
        marks = ", ".join(["%s"] * data.num_columns)
        sql = f"INSERT INTO {self.qualified(name)} ({cols}) VALUES ({marks})"
        for batch in data.to_batches(max_chunksize=MYSQL_BATCH):
            rows = list(zip(*(c.to_pylist() for c in batch.columns), strict=True))
            self._conn.exec_driver_sql(sql, rows)

    def commit(self) -> None:
        """Commit the current transaction."""
        self._conn.commit()

    def finish(self) -> None:
        """Create the secondary indexes, commit and close."""
        for table in self._tables:
            for column in table.indexes:
                index = f"ix_{table.name}_{column}"
                self._execute(f"CREATE INDEX {index} ON {self.qualified(table.name)} ({column})")
        self.commit()
        self.close()

    def __enter__(self) -> Target:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()

    def abort(self) -> None:
        """Roll back what is not committed and close (after a failure)."""
        try:
            self._conn.rollback()
        finally:
            self.close()

    def close(self) -> None:
        """Close the connection (and engine)."""
        self._conn.close()
        if self.backend == "mysql":
            self._engine.dispose()
