"""Great Expectations expectation classes looked up and built from our specs.

GX 1.x expectations are pydantic models: building one validates its kwargs without any
data context, so the same code serves suite checking at load time and validation runs.
Importing this module imports Great Expectations (several seconds): modules that only
declare checks (`generated`, `dagster_checks`) do not import it.
"""

from __future__ import annotations

from typing import Any

import great_expectations.expectations  # noqa: F401  (registers the core expectation types)
from great_expectations.exceptions.exceptions import ExpectationNotFoundError
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    Expectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.registry import get_expectation_impl

from upflux_etl.catalog.expectation_types import regex_problems

# Expectations that judge rows one by one: only they can name failing rows.
ROW_LEVEL_BASES = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)


class ExpectationKwargsError(ValueError):
    """GX rejects an expectation's kwargs; the message names the kwargs at fault."""


def expectation_class(type_name: str) -> type[Expectation]:
    """The GX class of an expectation type such as `expect_column_values_to_not_be_null`.

    Raises:
        LookupError: GX 1.24 has no expectation of that type.
    """
    try:
        return get_expectation_impl(type_name)
    except ExpectationNotFoundError:
        raise LookupError(f"Great Expectations has no expectation type {type_name!r}") from None


def is_row_level(cls: type[Expectation]) -> bool:
    """True for expectations that judge each row (map expectations)."""
    return issubclass(cls, ROW_LEVEL_BASES)


def build_expectation(type_name: str, kwargs: dict[str, Any], meta: dict[str, Any]) -> Expectation:
    """A GX expectation instance; its kwargs validated by GX's own model.

    Raises:
        LookupError: unknown expectation type.
        ExpectationKwargsError: GX rejects the kwargs (or a regex does not compile).
    """
    cls = expectation_class(type_name)
    _check_regexes(kwargs)
    try:
        return cls(**kwargs, meta=meta)
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        raise ExpectationKwargsError(_validation_message(exc)) from None


def _check_regexes(kwargs: dict[str, Any]) -> None:
    problems = regex_problems(kwargs)
    if problems:
        raise ExpectationKwargsError("; ".join(problems))


def _validation_message(exc: Exception) -> str:
    """One line per kwarg at fault, first reason only (pydantic lists every union branch)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    reasons: dict[str, str] = {}
    for err in errors():
        where = ".".join(str(p) for p in err.get("loc", ())) or "kwargs"
        where = "kwargs" if where == "__root__" else where
        reasons.setdefault(where, err.get("msg", "invalid"))
    return "; ".join(f"{where}: {msg}" for where, msg in reasons.items())
