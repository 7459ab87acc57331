"""Standard queries are written once (in the profile's dialect) and translated with sqlglot."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.eliminate_ctes import eliminate_ctes

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
# A query may read the load's watermark as `:changed_since` (null on a full load), to restrict
# itself by indexed change columns where the wrapper's filter on its output column cannot reach
# them (a column computed from two tables: connectors/hospitalis/er_visits.sql).
CHANGED_SINCE = "changed_since"


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


def bound_statement(sql: str, read: str, since: exp.Expression | None = None) -> exp.Expr:
    """`parse_one_statement` with the query's `:changed_since` bound (see `CHANGED_SINCE`).

    `since` is the watermark's typed literal on an incremental load; None (a full load, or a
    query over every row: counts, keys) binds null. `:changed_since is null` is then folded to
    true or false, and `or`/`and` with it, so the database plans what is left: an incremental
    load's `cd in (select ...)` becomes a semi-join the source's indexes serve, and a full
    load's query has no trace of the filter.
    """
    tree = parse_one_statement(sql, read)
    holders = [p for p in tree.find_all(exp.Placeholder) if _is_changed_since(p)]
    if not holders:
        return tree  # a query without it is sent as written
    for test in list(tree.find_all(exp.Is)):
        if _is_changed_since(test.this) and isinstance(test.expression, exp.Null):
            test.replace(exp.Boolean(this=since is None))
    for holder in [p for p in tree.find_all(exp.Placeholder) if _is_changed_since(p)]:
        holder.replace(since.copy() if since is not None else exp.Null())
    return _folded(tree)


def _is_changed_since(node: exp.Expression) -> bool:
    return isinstance(node, exp.Placeholder) and node.name.lower() == CHANGED_SINCE


def _folded(tree: exp.Expr) -> exp.Expr:
    """`true or x` -> true, `false or x` -> x, `true and x` -> x, `false and x` -> false.

    Children before parents, so a fold's result is seen by its parent; a `where true` goes,
    and so does a CTE nothing reads any more.
    """
    for node in reversed(list(tree.walk(bfs=False))):
        if node is tree:
            break
        folded = _fold(node)
        if folded is not node:
            node.replace(folded)
    return eliminate_ctes(tree)


def _fold(node: exp.Expr) -> exp.Expr | None:
    if isinstance(node, exp.Paren) and isinstance(node.this, exp.Boolean):
        return node.this
    if isinstance(node, exp.Or | exp.And):
        absorbing = isinstance(node, exp.Or)  # true absorbs an or, false an and
        for side, other in ((node.this, node.expression), (node.expression, node.this)):
            if isinstance(side, exp.Boolean):
                return side if side.this is absorbing else other
    if isinstance(node, exp.Where) and isinstance(node.this, exp.Boolean) and node.this.this:
        return None  # replaced by None: sqlglot removes the node
    return node


def translate(sql: str, read: str, write: str) -> str:
    """`sql` (one statement in dialect `read`) rewritten for dialect `write`."""
    return _render(bound_statement(sql, read), write)


def incremental(sql: str, read: str, column: str, after: str, write: str) -> str:
    """`sql` in dialect `write`, keeping only rows whose `column` is at or after `after`.

    At, not after: rows committed in the same second as the watermark are not lost; a row
    read twice is merged by its primary key. The watermark (`YYYY-MM-DD HH:MM:SS`, the ERP's
    wall time) is written as a typed literal for the target, never left to the session's
    date format (Oracle's NLS settings, SQL Server's language).
    """
    since = _timestamp(after, write)
    inner = bound_statement(sql, read, since)
    if not isinstance(inner, exp.Query):
        raise QueryError(f"an incremental query must be a query (SELECT), not {inner.key}")
    wrapped = (
        exp.select("*")
        .from_(inner.subquery("src"))
        .where(exp.GTE(this=exp.column(column, table="src"), expression=since.copy()))
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
    inner = bound_statement(sql, read)
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
    inner = bound_statement(sql, read)
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
