"""Expectation types and kwargs checked without importing Great Expectations.

`expectation_types.json` is generated from the pinned GX by `quality.gx_registry` (and a test
compares it with GX): the types GX knows, whether each judges rows, its kwargs' JSON schemas
and the rules GX checks beyond them. The SQL validation compiles from them
(`quality/sql_compile.py: declared_expectation`), so a load need not import GX; GX builds the
expectations where it runs them (the pandas fallback and the parity tests).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from upflux_etl.catalog.models import ExpectationSpec

REGISTRY = Path(__file__).resolve().parent / "expectation_types.json"
NOW = "$now"
# kwargs whose value is a regular expression (GX accepts a broken one and fails at run time).
REGEX_KWARGS = ("regex", "regex_list")
# Stand-ins for run-time values: enough to judge the kwargs' types.
_PLACEHOLDER_NOW = "2000-01-01T00:00:00+00:00"
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(dt.date.fromisoformat(value[:10]))


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    return not isinstance(value, str) or bool(dt.datetime.fromisoformat(value))


@cache
def registry() -> dict[str, Any]:
    """The generated registry (read once per process: it never changes while one runs)."""
    return json.loads(REGISTRY.read_text(encoding="utf-8"))


def judges_rows(type_name: str) -> bool:
    """Whether GX's `type_name` judges rows one by one (a map expectation).

    Raises:
        LookupError: GX has no expectation of that type.
    """
    spec = registry()["types"].get(type_name)
    if spec is None:
        raise LookupError(f"Great Expectations has no expectation type {type_name!r}")
    return bool(spec["row_level"])


def check_expectation(exp: ExpectationSpec) -> list[tuple[str, str]]:
    """Problems of one expectation as (field relative to it, message); [] when GX would run it."""
    known = registry()["types"]
    spec = known.get(exp.type)
    if spec is None:
        return [("type", f"Great Expectations has no expectation type {exp.type!r}")]
    found = []
    if exp.level == "row" and not spec["row_level"]:
        found.append(("level", f"{exp.type} judges the whole table, not rows: use level: dataset"))
    kwargs = _with_placeholders(exp.kwargs)
    if exp.value_set_from:
        problem = _value_set_problem(exp, spec)
        if problem:
            found.append(("value_set_from", problem))
        else:
            kwargs["value_set"] = ["placeholder"]
    reasons = kwargs_problems(exp.type, kwargs)
    if reasons:
        found.append(("kwargs", f"rejected by {exp.type}: {'; '.join(reasons)}"))
    return found


def kwargs_problems(type_name: str, kwargs: dict[str, Any]) -> list[str]:
    """Why GX would refuse `kwargs` for `type_name`, one reason per kwarg ([] if it accepts)."""
    spec = registry()["types"][type_name]
    reasons = [f"{key}: field required" for key in spec["required"] if key not in kwargs]
    for key, value in kwargs.items():
        schema = spec["properties"].get(key)
        if schema is None:
            reasons.append(f"{key}: extra fields not permitted")
            continue
        error = _first_error(schema, value)
        if error:
            reasons.append(f"{key}: {error}")
    for group in spec["at_least_one_of"]:
        if all(kwargs.get(k) is None for k in group):
            reasons.append(f"{' and '.join(group)} cannot both be None")
    reasons.extend(regex_problems(kwargs))
    return reasons


def _first_error(schema: dict[str, Any], value: Any) -> str | None:
    full = {**schema, "definitions": registry()["definitions"]}
    validator = jsonschema.Draft7Validator(full, format_checker=_FORMATS)
    error = next(iter(validator.iter_errors(value)), None)
    if error is None:
        return None
    return "value is not valid" if error.validator == "anyOf" else error.message


def _value_set_problem(exp: ExpectationSpec, spec: dict[str, Any]) -> str | None:
    if "value_set" in exp.kwargs:
        return "give either kwargs.value_set or value_set_from, not both"
    if "value_set" not in spec["properties"]:
        return f"{exp.type} takes no value_set"
    if not re.fullmatch(r"[a-z][a-z0-9_]*\.[a-z_][a-z0-9_]*", exp.value_set_from or ""):
        return f"{exp.value_set_from!r} must be <dataset>.<column>"
    return None


def _with_placeholders(value: Any) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER_NOW if value == NOW else value
    if isinstance(value, dict):
        return {k: _with_placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_placeholders(v) for v in value]
    return value


def regex_problems(kwargs: dict[str, Any]) -> list[str]:
    """Regular expressions in kwargs that do not compile (GX accepts them, then fails)."""
    found = []
    for key in REGEX_KWARGS:
        patterns = kwargs.get(key)
        for pattern in patterns if isinstance(patterns, list) else [patterns]:
            if isinstance(pattern, str):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    found.append(f"{key}: not a valid regular expression ({exc})")
    return found
