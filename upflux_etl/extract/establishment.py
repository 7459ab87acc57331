"""The establishment filter: one hospital of a group that shares one ERP database.

Tasy and MV keep several establishments in one schema; each SELECT of a query that reads a
table with an establishment column keeps only the client's establishment. The query is
rewritten on its sqlglot AST in its own dialect (never by text), before it is translated for
the source: in the WHERE of the SELECT that reads the table, or in the ON of a table that is
outer-joined (a WHERE there would turn the outer join into an inner one).
"""

from __future__ import annotations

from sqlglot import exp

from upflux_etl.extract.sql import QueryError, parse_one_statement


def filter_establishment(sql: str, dialect: str, columns: dict[str, str], value: str | int) -> str:
    """`sql` (in `dialect`) keeping only rows of establishment `value`, in the same dialect.

    Args:
        sql: one SELECT statement.
        dialect: its sqlglot dialect.
        columns: source table (case-insensitive, without schema) -> its establishment column.
        value: the establishment's code.

    Raises:
        QueryError: the query reads none of the tables of `columns` (the filter would
            silently keep every establishment), or cannot be parsed.
    """
    tree = parse_one_statement(sql, dialect)
    wanted = {t.lower(): c for t, c in columns.items()}
    literal = exp.Literal.number(value) if isinstance(value, int) else exp.Literal.string(value)
    applied = 0
    for select in list(tree.find_all(exp.Select)):
        applied += _filter_select(select, wanted, literal)
    if not applied:
        raise QueryError(
            "the establishment filter applies to no table of this query: it reads none of "
            f"{', '.join(sorted(columns))} (sources.<name>.establishment.columns)"
        )
    return tree.sql(dialect=dialect, pretty=True)


def _filter_select(select: exp.Select, wanted: dict[str, str], literal: exp.Expression) -> int:
    applied = 0
    from_ = select.args.get("from") or select.args.get("from_")
    for table in _tables(from_):
        column = wanted.get(table.name.lower())
        if column:
            select.where(_condition(table, column, literal), copy=False)
            applied += 1
    for join in select.args.get("joins") or []:
        table = join.this
        column = wanted.get(table.name.lower()) if isinstance(table, exp.Table) else None
        if not column:
            continue
        condition = _condition(table, column, literal)
        if join.side in ("LEFT", "RIGHT", "FULL"):
            on = join.args.get("on")
            join.set("on", exp.and_(on, condition) if on else condition)
        else:
            select.where(condition, copy=False)
        applied += 1
    return applied


def _tables(from_: exp.Expression | None) -> list[exp.Table]:
    if from_ is None:
        return []
    return [t for t in [from_.this] if isinstance(t, exp.Table)]


def _condition(table: exp.Table, column: str, literal: exp.Expression) -> exp.Expression:
    return exp.EQ(this=exp.column(column, table=table.alias_or_name), expression=literal.copy())
