"""Load-time check of a suite file against Great Expectations (no data, no data context)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import DatasetSpec, ExpectationSpec, SuiteSpec
from upflux_etl.quality.gx_expectations import (
    ExpectationKwargsError,
    build_expectation,
    expectation_class,
    is_row_level,
)
from upflux_etl.quality.kwargs import resolve_kwargs

_VALUE_SET_FROM = re.compile(r"[a-z][a-z0-9_]*\.[a-z_][a-z0-9_]*")
# Stand-ins for run-time values: enough for GX to judge the kwargs' types.
_PLACEHOLDER_NOW = datetime(2000, 1, 1, tzinfo=UTC)


def check_suite(
    suite: SuiteSpec, path: Path | str, datasets: Mapping[str, DatasetSpec] | None = None
) -> None:
    """Fail loudly on an expectation GX does not know or whose kwargs it rejects.

    Args:
        suite: the suite as loaded by `catalog.loader.load_suites`.
        path: the suite file, named in errors.
        datasets: the canonical datasets; when given, `value_set_from` must name one of their
            columns.

    Raises:
        ConfigError: naming `expectations.<i>.type`, `.level`, `.value_set_from` or `.kwargs`.
    """
    for i, exp in enumerate(suite.expectations):
        _check_expectation(exp, Path(path), f"expectations.{i}", datasets)


def _check_expectation(
    exp: ExpectationSpec, path: Path, field: str, datasets: Mapping[str, DatasetSpec] | None
) -> None:
    try:
        cls = expectation_class(exp.type)
    except LookupError as exc:
        raise ConfigError(path, f"{field}.type", str(exc)) from None
    if exp.level == "row" and not is_row_level(cls):
        raise ConfigError(
            path,
            f"{field}.level",
            f"{exp.type} judges the whole table, not rows: use level: dataset",
        )
    placeholder_sets = None
    if exp.value_set_from:
        _check_value_set_from(exp, path, field, datasets)
        placeholder_sets = {exp.value_set_from: ["placeholder"]}
    kwargs = resolve_kwargs(exp, _PLACEHOLDER_NOW, placeholder_sets)
    try:
        build_expectation(exp.type, kwargs, meta={"name": exp.name})
    except ExpectationKwargsError as exc:
        raise ConfigError(path, f"{field}.kwargs", f"rejected by {exp.type}: {exc}") from None


def _check_value_set_from(
    exp: ExpectationSpec, path: Path, field: str, datasets: Mapping[str, DatasetSpec] | None
) -> None:
    where = f"{field}.value_set_from"
    if "value_set" in exp.kwargs:
        raise ConfigError(path, where, "give either kwargs.value_set or value_set_from, not both")
    if "value_set" not in expectation_class(exp.type).__fields__:
        raise ConfigError(path, where, f"{exp.type} takes no value_set")
    source = exp.value_set_from or ""
    if not _VALUE_SET_FROM.fullmatch(source):
        raise ConfigError(path, where, f"{source!r} must be <dataset>.<column>")
    if datasets is None:
        return
    dataset, column = source.split(".", 1)
    if dataset not in datasets:
        raise ConfigError(path, where, f"unknown dataset {dataset!r}")
    if column not in datasets[dataset].columns:
        raise ConfigError(path, where, f"{dataset!r} has no column {column!r}")
