"""Standard queries are written once (in the profile's dialect) and translated with sqlglot."""

from __future__ import annotations

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


class QueryError(ValueError):
    """A query that cannot be parsed or translated."""


def translate(sql: str, read: str, write: str) -> str:
    """`sql` (one statement in dialect `read`) rewritten for dialect `write`."""
    try:
        statements = sqlglot.transpile(sql, read=read, write=write, pretty=True)
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"cannot parse the query as {read}: {exc}") from None
    statements = [s for s in statements if s.strip()]
    if len(statements) != 1:
        raise QueryError(f"expected one statement, found {len(statements)}")
    return statements[0]


def incremental(sql: str, read: str, column: str, after: str) -> str:
    """Wrap `sql` so it returns only rows whose `column` is at or after `after` (a literal).

    At, not after: rows committed in the same second as the watermark are not lost; a row
    read twice is merged by its primary key.
    """
    try:
        inner = sqlglot.parse_one(sql, read=read)
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"cannot parse the query as {read}: {exc}") from None
    wrapped = (
        exp.select("*")
        .from_(inner.subquery("src"))
        .where(exp.GTE(this=exp.column(column, table="src"), expression=exp.Literal.string(after)))
    )
    return wrapped.sql(dialect=read)
