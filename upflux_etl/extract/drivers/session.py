"""The statements that make a source session read-only and select its schema."""

from __future__ import annotations

from sqlglot import exp


def session_statements(dialect: str, schema: str | None) -> list[str]:
    """The statements that make a session read-only and select `schema`, in `dialect`.

    SQL Server and Oracle have no session-wide read-only switch: their sources rely on an
    account granted only SELECT (docs/DECISIONS.md, "Sources").
    """
    name = exp.to_identifier(schema, quoted=True).sql(dialect=dialect) if schema else None
    if dialect == "postgres":
        return ["set session characteristics as transaction read only"] + (
            [f"set search_path to {name}"] if name else []
        )
    if dialect == "mysql":
        return ["set session transaction read only"] + ([f"use {name}"] if name else [])
    if dialect == "tsql":
        return [f"use {name}"] if name else []
    if dialect == "oracle":
        return [f"alter session set current_schema = {name}"] if name else []
    return []
