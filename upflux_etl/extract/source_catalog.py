"""What a source's own catalog says, and which source tables a query reads.

Tables, estimated rows, columns and types, indexes; and which source tables and columns a query reads (sqlglot). PostgreSQL, MariaDB/MySQL, SQLite.

Read through a probe session (`extract/probe.py`); never the data itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage

from upflux_etl.extract.probe import Probe

CATALOG_DIALECTS = ("postgres", "mysql", "sqlite")


@dataclass(frozen=True)
class SourceTable:
    """A table or view of the source, its columns (name -> type) and estimated rows."""

    name: str
    columns: dict[str, str]
    estimated_rows: int | None


_PG_TABLES = """
select c.relname, c.reltuples::bigint
from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
where n.nspname = coalesce(%s, current_schema()) and c.relkind in ('r', 'p', 'v', 'm', 'f')
{only:c.relname}
"""
_PG_COLUMNS = """
select table_name, column_name, data_type
from information_schema.columns
where table_schema = coalesce(%s, current_schema())
{only:table_name}
order by table_name, ordinal_position
"""
_PG_INDEXES = """
select t.relname, a.attname
from pg_index as i
join pg_class as t on t.oid = i.indrelid
join pg_namespace as n on n.oid = t.relnamespace
join pg_attribute as a on a.attrelid = t.oid and a.attnum = i.indkey[0]
where n.nspname = coalesce(%s, current_schema())
{only:t.relname}
"""
_MY_TABLES = """
select table_name, table_rows from information_schema.tables
where table_schema = coalesce(%s, database())
{only:table_name}
"""
_MY_COLUMNS = """
select table_name, column_name, column_type from information_schema.columns
where table_schema = coalesce(%s, database())
{only:table_name}
order by table_name, ordinal_position
"""
_MY_INDEXES = """
select table_name, column_name from information_schema.statistics
where table_schema = coalesce(%s, database()) and seq_in_index = 1
{only:table_name}
"""


def source_tables(
    probe: Probe, schema: str | None, only: set[str] | None = None
) -> dict[str, SourceTable]:
    """Every table and view of `schema` (the session's default when None), by lower-case name.

    `only`: just these tables (lower-case names): an ERP schema can hold thousands. Row counts are the catalog's estimates (PostgreSQL `reltuples`, MariaDB `table_rows`;
    None when never analysed); SQLite has no statistics, so None.
    """
    if probe.dialect == "sqlite":
        names = [
            r[0]
            for r in probe.rows(
                "select name from sqlite_master where type in ('table', 'view') "
                "and name not like 'sqlite_%' order by name"
            )
            if only is None or r[0].lower() in only
        ]
        return {
            n.lower(): SourceTable(
                n, {r[1]: r[2] or "" for r in probe.rows(f'pragma table_info("{n}")')}, None
            )
            for n in names
        }
    tables_sql, columns_sql = (
        (_PG_TABLES, _PG_COLUMNS) if probe.dialect == "postgres" else (_MY_TABLES, _MY_COLUMNS)
    )
    _require_catalog(probe)
    estimates = {r[0]: r[1] for r in probe.rows(_only(tables_sql, only), [schema])}
    columns: dict[str, dict[str, str]] = {}
    for table, column, type_ in probe.rows(_only(columns_sql, only), [schema]):
        columns.setdefault(table, {})[column] = str(type_)
    return {
        name.lower(): SourceTable(name, columns.get(name, {}), _estimate(estimates[name]))
        for name in sorted(estimates)
    }


def indexed_columns(
    probe: Probe, schema: str | None, only: set[str] | None = None
) -> set[tuple[str, str]]:
    """(table, column) pairs, lower-case, that lead some index: usable by a range filter.

    `only`: just these tables (lower-case names).
    """
    if probe.dialect == "sqlite":
        out = set()
        for (table,) in probe.rows("select name from sqlite_master where type = 'table'"):
            if only is not None and table.lower() not in only:
                continue
            for index in probe.rows(f'pragma index_list("{table}")'):
                for info in probe.rows(f'pragma index_info("{index[1]}")'):
                    if info[0] == 0:
                        out.add((table.lower(), str(info[2]).lower()))
        return out
    _require_catalog(probe)
    sql = _PG_INDEXES if probe.dialect == "postgres" else _MY_INDEXES
    return {(str(t).lower(), str(c).lower()) for t, c in probe.rows(_only(sql, only), [schema])}


_ONLY = re.compile(r"\{only:([\w.]+)\}")


def _only(sql: str, only: set[str] | None) -> str:
    """`sql` with its `{only:<column>}` slot filled: every table, or the named ones."""
    if only is None:
        return _ONLY.sub("", sql)
    if not only:
        return _ONLY.sub("and 1 = 0", sql)
    names = ", ".join(exp.Literal.string(n).sql() for n in sorted(only))
    return _ONLY.sub(lambda m: f"and lower({m[1]}) in ({names})", sql)


def _estimate(value: object) -> int | None:
    if value is None:
        return None
    number = int(value)  # type: ignore[call-overload]
    return number if number >= 0 else None  # PostgreSQL: -1 = never analysed


def _require_catalog(probe: Probe) -> None:
    if probe.dialect not in CATALOG_DIALECTS:
        raise NotImplementedError(f"reading the catalog of a {probe.dialect} source")


def tables_read(sql: str, dialect: str) -> set[str]:
    """The source tables (lower-case) a query reads: its table references that are not CTEs."""
    tree = sqlglot.parse_one(sql, read=dialect)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return {t.name.lower() for t in tree.find_all(exp.Table)} - ctes


def column_sources(sql: str, dialect: str, column: str) -> set[tuple[str, str]]:
    """(table, column) pairs, lower-case, the query's output `column` is computed from."""
    try:
        node = lineage(column, sql, {}, dialect=dialect)
    except Exception:  # noqa: BLE001 - sqlglot cannot trace every query: nothing known then
        return set()
    found = set()
    for n in node.walk():
        if isinstance(n.source, exp.Table):
            found.add((n.source.name.lower(), n.name.rsplit(".", 1)[-1].lower()))
        elif n.downstream and all(isinstance(d.source, exp.Placeholder) for d in n.downstream):
            # sqlglot sometimes leaves a column of a one-table select unqualified (a CTE
            # `select dt_atualizacao from leito` read through an alias): that table's column.
            table = _only_table(n.source)
            if table is not None:
                found |= {(table, d.name.rsplit(".", 1)[-1].lower()) for d in n.downstream}
    return found


def _only_table(select: object) -> str | None:
    """The one table a select reads (lower-case), or None for a join, a subquery or none."""
    if not isinstance(select, exp.Select) or select.args.get("joins"):
        return None
    source = select.args.get("from_")
    table = source.this if source is not None else None
    return table.name.lower() if isinstance(table, exp.Table) else None
