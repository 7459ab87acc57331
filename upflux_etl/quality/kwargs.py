"""Run-time values an expectation's kwargs refer to: "$now" and value sets from the warehouse."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from upflux_etl.catalog.models import ExpectationSpec

NOW = "$now"


class MissingValueSet(LookupError):
    """An expectation needs a value set the caller did not supply."""


def replace_now(value: Any, now: datetime) -> Any:
    """`value` with every string equal to "$now" (at any depth) replaced by `now`."""
    if isinstance(value, str):
        return now if value == NOW else value
    if isinstance(value, dict):
        return {k: replace_now(v, now) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(replace_now(v, now) for v in value)
    return value


def resolve_kwargs(
    exp: ExpectationSpec, now: datetime, value_sets: dict[str, list] | None = None
) -> dict[str, Any]:
    """The kwargs GX runs `exp` with: "$now" replaced, `value_set` filled from `value_set_from`.

    Raises:
        MissingValueSet: `exp.value_set_from` names a set absent from `value_sets`.
    """
    kwargs = replace_now(dict(exp.kwargs), now)
    if exp.value_set_from:
        if value_sets is None or exp.value_set_from not in value_sets:
            raise MissingValueSet(f"value set {exp.value_set_from!r} was not supplied")
        kwargs["value_set"] = list(value_sets[exp.value_set_from])
    return kwargs
