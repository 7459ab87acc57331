"""Standard queries are written once (in the profile's dialect) and translated with sqlglot."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

# SQLAlchemy backend name -> sqlglot dialect.
DIALECTS = {
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mssql": "tsql",
    "oracle": "oracle",
    "duckdb": "duckdb",
}

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
WATERMARK_FORMAT = "%Y-%m-%d %H:%M:%S"


class QueryError(ValueError):
    """A query that cannot be parsed or translated."""


def parse_one_statement(sql: str, read: str) -> exp.Expr:
    """The single statement of `sql`, or a QueryError saying why not."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=read) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise QueryError(f"cannot parse the query as {read}: {_ANSI.sub('', str(exc))}") from None
    if len(statements) != 1:
        raise QueryError(f"expected one statement, found {len(statements)}")
    return statements[0]


def translate(sql: str, read: str, write: str) -> str:
    """`sql` (one statement in dialect `read`) rewritten for dialect `write`."""
    return _render(parse_one_statement(sql, read), write)


def incremental(sql: str, read: str, column: str, after: str, write: str) -> str:
    """`sql` in dialect `write`, keeping only rows whose `column` is at or after `after`.

    At, not after: rows committed in the same second as the watermark are not lost; a row
    read twice is merged by its primary key. The watermark (`YYYY-MM-DD HH:MM:SS`, the ERP's
    wall time) is written as a typed literal for the target, never left to the session's
    date format (Oracle's NLS settings, SQL Server's language).
    """
    inner = parse_one_statement(sql, read)
    if not isinstance(inner, exp.Query):
        raise QueryError(f"an incremental query must be a query (SELECT), not {inner.key}")
    wrapped = (
        exp.select("*")
        .from_(inner.subquery("src"))
        .where(exp.GTE(this=exp.column(column, table="src"), expression=_timestamp(after, write)))
    )
    return _render(wrapped, write)


def window_query(
    sql: str,
    read: str,
    column: str,
    write: str,
    *,
    after: str | None = None,
    before: str | None = None,
    empty: bool = False,
) -> str:
    """`sql` in dialect `write`, keeping rows whose `column` is in [`after`, `before`).

    A period of a historical load (`pipeline/history.py`): either bound may be missing; with
    `empty`, no row at all (a dataset loaded whole in an earlier period). The bounds are the
    ERP's wall time, written as typed literals like the watermark of `incremental`.
    """
    inner = parse_one_statement(sql, read)
    if not isinstance(inner, exp.Query):
        raise QueryError(f"a windowed query must be a query (SELECT), not {inner.key}")
    src = exp.column(column, table="src")
    conditions: list[exp.Expression] = []
    if empty:
        conditions.append(exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(0)))
    if after is not None:
        conditions.append(exp.GTE(this=src, expression=_timestamp(after, write)))
    if before is not None:
        conditions.append(exp.LT(this=src.copy(), expression=_timestamp(before, write)))
    wrapped = exp.select("*").from_(inner.subquery("src"))
    if conditions:
        wrapped = wrapped.where(exp.and_(*conditions))
    return _render(wrapped, write)


def _whole(sql: str, read: str, what: str) -> exp.Subquery:
    inner = parse_one_statement(sql, read)
    if not isinstance(inner, exp.Query):
        raise QueryError(f"{what} needs a query (SELECT), not {inner.key}")
    return inner.subquery("src")


def count_query(
    sql: str, read: str, write: str, excluded: tuple[str, tuple[str, ...]] | None = None
) -> str:
    """`select count(*)` of the whole `sql` (no incremental window), in dialect `write`.

    With `excluded` = (column, values), a second column counts the rows whose `column` is one
    of `values` (rows of patients the hospital excluded); otherwise it is 0.
    """
    rows = exp.Count(this=exp.Star())
    if excluded and excluded[1]:
        column, values = excluded
        hit = exp.column(column, table="src").isin(*[exp.Literal.string(v) for v in values])
        flagged: exp.Expression = exp.Sum(
            this=exp.If(this=hit, true=exp.Literal.number(1), false=exp.Literal.number(0))
        )
    else:
        flagged = exp.Literal.number(0)
    query = exp.select(rows.as_("n"), flagged.as_("excluded")).from_(_whole(sql, read, "a count"))
    return _render(query, write)


def keys_query(sql: str, read: str, columns: list[str], write: str) -> str:
    """Only the `columns` (a primary key) of every row of `sql`, in dialect `write`."""
    query = exp.select(*[exp.column(c, table="src") for c in columns]).from_(
        _whole(sql, read, "a keys-only comparison")
    )
    return _render(query, write)


def key_suffix(column: exp.Expression, width: int, write: str) -> exp.Expression:
    """The last `width` characters of a text `column`, in dialect `write`.

    SQLite and Oracle have no `right`: `substr` with a negative start.
    """
    if write in ("sqlite", "oracle"):
        return exp.Substring(this=column, start=exp.Literal.number(-width))
    return exp.Right(this=column, expression=exp.Literal.number(width))


def bucket_counts_query(sql: str, read: str, column: str, width: int, write: str) -> str:
    """Rows of the whole `sql` per bucket of a text key: its last `width` characters.

    Two columns, `bucket` and `n`; null keys make a null bucket.
    """
    bucket = key_suffix(exp.column(column, table="src"), width, write)
    query = (
        exp.select(bucket.as_("bucket"), exp.Count(this=exp.Star()).as_("n"))
        .from_(_whole(sql, read, "a comparison of keys by bucket"))
        .group_by(bucket.copy())
    )
    return _render(query, write)


def bucket_keys_query(
    sql: str, read: str, column: str, width: int, buckets: tuple[str, ...], write: str
) -> str:
    """The text key `column` of the rows of `sql` whose bucket is one of `buckets`."""
    bucket = key_suffix(exp.column(column, table="src"), width, write)
    hit = bucket.isin(*[exp.Literal.string(b) for b in buckets])
    query = (
        exp.select(exp.column(column, table="src"))
        .from_(_whole(sql, read, "a comparison of keys by bucket"))
        .where(hit)
    )
    return _render(query, write)


def values_query(
    sql: str, read: str, column: str, where: str, values: tuple[str, ...], write: str
) -> str:
    """The distinct `column` of the rows of `sql` whose `where` column is one of `values`."""
    hit = exp.column(where, table="src").isin(*[exp.Literal.string(v) for v in values])
    query = (
        exp.select(exp.column(column, table="src"))
        .distinct()
        .from_(_whole(sql, read, "an exclusion"))
        .where(hit)
    )
    return _render(query, write)


def _timestamp(value: str, write: str) -> exp.Expression:
    literal = exp.Literal.string(value)
    if write == "sqlite":  # SQLite keeps timestamps as ISO text: text order is time order
        return literal
    if write == "oracle":
        return exp.StrToTime(this=literal, format=exp.Literal.string(WATERMARK_FORMAT))
    return exp.cast(literal, exp.DataType.Type.TIMESTAMP)


def _render(expression: exp.Expr, write: str) -> str:
    try:
        return expression.sql(dialect=write, pretty=True)
    except sqlglot.errors.SqlglotError as exc:
        raise QueryError(f"cannot write the query as {write}: {_ANSI.sub('', str(exc))}") from None
