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


def identity_statements(dialect: str, application_name: str, *, mariadb: bool = True) -> list[str]:
    """Statements naming the session for the DBA, where no connection option does it."""
    if dialect == "postgres":
        name = exp.Literal.string(application_name).sql(dialect=dialect)
        return [f"set application_name = {name}"]
    return []


def timeout_statements(dialect: str, seconds: int, *, mariadb: bool = True) -> list[str]:
    """Statements bounding each statement of the session to `seconds`, in `dialect`.

    MariaDB's `max_statement_time` is in seconds, MySQL's `max_execution_time` in
    milliseconds (SELECT only). SQL Server and Oracle bound it through the driver's query
    timeout (pyodbc `Connection.timeout`) instead.
    """
    if dialect == "postgres":
        return [f"set statement_timeout = {int(seconds) * 1000}"]
    if dialect == "mysql":
        if mariadb:
            return [f"set session max_statement_time = {int(seconds)}"]
        return [f"set session max_execution_time = {int(seconds) * 1000}"]
    return []
