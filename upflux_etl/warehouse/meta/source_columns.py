"""`meta.source_columns`: the source catalog's columns of the tables a load's queries read.

Kept per load (with their types) so the next load can tell what changed (schema drift).
"""

from __future__ import annotations

import duckdb

from upflux_etl.warehouse.files import first_row, has_table, insert_rows

Columns = dict[str, dict[str, str]]  # table -> column -> type


def write_source_columns(
    con: duckdb.DuckDBPyConnection, load_id: str, source: str, columns: Columns
) -> None:
    """Keep (replace) `source`'s columns of the tables `load_id` read."""
    tables = list(columns)
    if not tables:
        return
    marks = ", ".join("?" * len(tables))
    con.execute(
        f"delete from meta.source_columns where load_id = ? and source = ? "
        f"and table_name in ({marks})",
        [load_id, source, *tables],
    )
    rows = [
        [load_id, source, table, column, type_]
        for table, cols in columns.items()
        for column, type_ in cols.items()
    ]
    insert_rows(con, "meta.source_columns", rows)


def previous_source_columns(
    con: duckdb.DuckDBPyConnection, load_id: str, source: str, tables: list[str]
) -> Columns | None:
    """`tables`' columns as the latest earlier load of `source` recorded them (None: never).

    Only loads that recorded columns count, so a warehouse from before this table has none.
    """
    if not has_table(con, "meta", "source_columns") or not tables:
        return None
    marks = ", ".join("?" * len(tables))
    row = first_row(
        con,
        "select c.load_id from meta.source_columns as c join meta.loads as l using (load_id) "
        f"where c.load_id <> ? and c.source = ? and c.table_name in ({marks}) "
        "order by l.started_at desc limit 1",
        [load_id, source, *tables],
    )
    if row is None:
        return None
    found: Columns = {}
    for table, column, type_ in con.execute(
        "select table_name, column_name, column_type from meta.source_columns "
        f"where load_id = ? and source = ? and table_name in ({marks})",
        [row[0], source, *tables],
    ).fetchall():
        found.setdefault(table, {})[column] = type_
    return found
