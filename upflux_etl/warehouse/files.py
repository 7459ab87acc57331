"""Where a hospital's warehouse files live, and how they are opened."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class WarehouseFiles:
    """The files of one hospital under `data/<slug>/`.

    `warehouse.duckdb` is the published version: no process ever opens it for writing.
    A run writes its own build file and publishes it by an atomic rename.
    """

    root: Path

    @property
    def published(self) -> Path:
        """The published warehouse, never opened for writing."""
        return self.root / "warehouse.duckdb"

    @property
    def previous(self) -> Path:
        """The warehouse published before the current one."""
        return self.root / "warehouse.previous.duckdb"

    @property
    def builds(self) -> Path:
        """The folder of the runs' build files."""
        return self.root / "builds"

    @property
    def lock(self) -> Path:
        """The hospital's writer lock: held by the one run writing (`warehouse/lock.py`)."""
        return self.root / "writer.lock"

    @property
    def reports(self) -> Path:
        """The folder of the hospital's reports."""
        return self.root / "reports"

    @property
    def export(self) -> Path:
        """The folder of the platform exports, one folder per published load."""
        return self.root / "export"

    def build(self, run_id: str) -> Path:
        """The build file of run `run_id`."""
        return self.builds / f"{run_id}.duckdb"


@contextmanager
def open_published(
    files: WarehouseFiles, timezone: str
) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the published warehouse (None before the first publication)."""
    if not files.published.exists():
        yield None
        return
    con = connect(files.published, timezone, read_only=True)
    try:
        yield con
    finally:
        con.close()


def connect(path: Path, timezone: str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose session time zone is the hospital's (days cut there)."""
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set TimeZone = ?", [timezone])
    # The datasets' parts never change once written (`warehouse/parts.py`): their footers are
    # read once per connection, not at every query of a view (half of a small query's time).
    con.execute("set parquet_metadata_cache = true")
    return con


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, or None.

    duckdb 2.x keeps a connection busy until a result is read to the end, so results are
    always fetched whole (`fetchone()` alone would block the next statement).
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """The first column of the first row of a query, or None."""
    row = first_row(con, sql, params)
    return row[0] if row else None


def table_columns(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, catalog: str | None = None
) -> list[str]:
    """The columns of `schema.table`, in their order (none when it does not exist).

    `catalog`: one attached database's table (otherwise the one the search path finds).
    """
    return list(column_types(con, schema, table, catalog))


def column_types(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, catalog: str | None = None
) -> dict[str, str]:
    """Column name -> DuckDB type of `schema.table`, in the columns' order (see `table_columns`).

    By `pragma_table_info`, which looks the one table up (0.3 ms), where `duckdb_columns()`
    lists every column of every attached database (2.2 ms; a load asks ~190 times). A view
    whose parts cannot be bound (its folder moved) is read from the catalog's listing.
    """
    name = ".".join(f'"{part}"' for part in (catalog, schema, table) if part is not None)
    try:
        rows = con.execute("select name, type from pragma_table_info(?)", [name]).fetchall()
    except duckdb.CatalogException:
        return {}
    except duckdb.Error:
        rows = con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = ? "
            "and table_name = ? and (? is null or database_name = ?) order by column_index",
            [schema, table, catalog, catalog],
        ).fetchall()
    return {str(n): str(t) for n, t in rows}


def schema_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """The tables of `schema` in the connection's own database, by name."""
    rows = con.execute(
        "select table_name from duckdb_tables() where schema_name = ? and "
        "database_name = current_database() order by table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether a table or view `schema.name` exists where the connection's queries find it.

    Looked up as a relation (0.3 ms for a table, 1.7 ms for a view over parts): DuckDB's
    catalog functions render every entry's SQL (2.4 ms for `duckdb_tables()`, 3.6 ms for both
    with `duckdb_views()`), and a load asks a few hundred times. A lookup, not a query: a
    missing name does not abort the connection's transaction. A view that cannot be bound
    (its parts moved) exists; one whose own query names a table that is gone is found in the
    catalog's list of views.
    """
    try:
        con.table(f'"{schema}"."{name}"')
    except duckdb.CatalogException:
        views = "select count(*) from duckdb_views() where schema_name = ? and view_name = ?"
        return bool(scalar(con, views, [schema, name]))
    except duckdb.Error:
        return True
    return True


# Parameters in one `insert_rows` statement: DuckDB binds a few thousand quickly, and one
# statement per row (`executemany`) costs about 4 ms a row.
_INSERT_PARAMETERS = 2_000


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence]) -> None:
    """Insert `rows` (each with one value per column of `table`, in order) in a few statements.

    Nothing is inserted when `rows` is empty. `table` is SQL text, quoted by the caller, with
    its column list when the rows do not fill every column in order.
    """
    if not rows:
        return
    width = len(rows[0])
    row_marks = "(" + ", ".join("?" * width) + ")"
    per_statement = max(1, _INSERT_PARAMETERS // width)
    for start in range(0, len(rows), per_statement):
        part = rows[start : start + per_statement]
        marks = ", ".join([row_marks] * len(part))
        con.execute(f"insert into {table} values {marks}", [v for row in part for v in row])


def sql_literal(text: object) -> str:
    """`text` as a SQL string literal (quotes doubled, in single quotes).

    For the statements that take no parameters: COPY, ATTACH, a view's file.
    """
    return "'" + str(text).replace("'", "''") + "'"
