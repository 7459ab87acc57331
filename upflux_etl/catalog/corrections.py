"""Declared corrections of a client file, checked against the canonical model.

A correction changes staged rows of one dataset (`set: {column: value}`) chosen by a SQL
condition (`where`) or by key (`keys`). Its condition is parsed here, once: it may read the
dataset's canonical columns and the `<column>_code` of mapped ones, and nothing else (no
subquery, no function that reads files).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import sqlglot
from sqlglot import exp

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import CanonicalModel, ClientSpec, CorrectionSpec, DatasetSpec
from upflux_etl.catalog.yaml_files import YamlDoc

# Rejected in a condition: anything that is not a comparison of the row's own columns.
_FORBIDDEN = (exp.Subquery, exp.Select, exp.Table, exp.Anonymous, exp.Command)
# Casts a value must survive, per canonical type (DuckDB names).
_PYTHON_CHECKS: dict[str, Callable[[str], Any]] = {
    "integer": int,
    "double": float,
    "decimal": float,
    "date": dt.date.fromisoformat,
    "timestamp": dt.datetime.fromisoformat,
    "time": dt.time.fromisoformat,
}


def condition_columns(spec: DatasetSpec) -> set[str]:
    """Columns a correction's condition may read: canonical ones and mapped codes."""
    return set(spec.columns) | {f"{c}_code" for c, col in spec.columns.items() if col.map}


def condition_sql(where: str) -> str:
    """The condition in DuckDB's dialect (raises ValueError when it cannot be parsed)."""
    try:
        tree = sqlglot.parse_one(where, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        raise ValueError(f"cannot parse the condition: {str(exc).splitlines()[0]}") from None
    return tree.sql(dialect="duckdb")


def correction_problems(
    client: ClientSpec, canonical: CanonicalModel, doc: YamlDoc
) -> Iterator[ConfigError]:
    """Every problem of the client's `corrections:`, each with its field and line."""
    ids: set[str] = set()
    for i, rule in enumerate(client.corrections):
        at = f"corrections.{i}"
        if rule.id in ids:
            yield doc.error(f"{at}.id", f"another correction is named {rule.id!r}")
        ids.add(rule.id)
        spec = canonical.datasets.get(rule.dataset)
        if spec is None:
            known = ", ".join(sorted(canonical.datasets))
            yield doc.error(f"{at}.dataset", f"unknown dataset {rule.dataset!r}; known: {known}")
            continue
        yield from _selector_problems(rule, spec, doc, at)
        yield from _change_problems(rule, spec, doc, at)


def _selector_problems(
    rule: CorrectionSpec, spec: DatasetSpec, doc: YamlDoc, at: str
) -> Iterator[ConfigError]:
    if rule.keys is not None and len(spec.primary_key) != 1:
        yield doc.error(
            f"{at}.keys",
            f"{spec.name} has a compound key {spec.primary_key}: choose rows with `where`",
        )
    if rule.where is None:
        return
    try:
        tree = sqlglot.parse_one(rule.where, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        yield doc.error(f"{at}.where", f"cannot parse the condition: {str(exc).splitlines()[0]}")
        return
    if any(tree.find_all(*_FORBIDDEN)):
        yield doc.error(
            f"{at}.where", "a condition compares the row's own columns (no subquery or function)"
        )
    allowed = condition_columns(spec)
    for column in tree.find_all(exp.Column):
        if column.name not in allowed:
            yield doc.error(
                f"{at}.where",
                f"{spec.name} has no column {column.name!r}; known: {', '.join(sorted(allowed))}",
            )


def _change_problems(
    rule: CorrectionSpec, spec: DatasetSpec, doc: YamlDoc, at: str
) -> Iterator[ConfigError]:
    for column, value in rule.set_.items():
        where = f"{at}.set.{column}"
        col = spec.columns.get(column)
        if col is None:
            yield doc.error(
                where, f"{spec.name} has no column {column!r}; known: {', '.join(spec.columns)}"
            )
        elif column in spec.primary_key or col.pii:
            yield doc.error(where, f"{column} is a key or personal column: it cannot be corrected")
        elif value is None:
            if col.required:
                yield doc.error(where, f"{column} is required: it cannot be set to null")
        elif col.values and str(value) not in col.values:
            yield doc.error(where, f"{value!r} is not allowed; allowed: {', '.join(col.values)}")
        elif col.type in _PYTHON_CHECKS:
            try:
                _PYTHON_CHECKS[col.type](str(value))
            except ValueError:
                yield doc.error(where, f"{value!r} is not a valid {col.type}")
