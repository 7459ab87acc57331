"""Expectation specs turned into runnable GX expectations for one load.

Membership in a value set from the warehouse (`value_set_from`, e.g. every encounter id) is
computed here with one vectorised `isin`, and GX checks the resulting flag column: GX 1.24
serialises an expectation's kwargs many times per run (pydantic v1 `.dict()`), so a value set
of 100,000 ids costs it ~7 s, a million over a minute. The outcome is the same rows, the same
counts, nulls passing as in GX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from great_expectations.expectations.expectation import Expectation

from upflux_etl.catalog.models import ExpectationSpec
from upflux_etl.quality.gx_expectations import build_expectation, expectation_class, is_row_level
from upflux_etl.quality.kwargs import MissingValueSet, replace_now, resolve_kwargs

IN_SET = "expect_column_values_to_be_in_set"
NOT_IN_SET = "expect_column_values_to_not_be_in_set"


@dataclass(frozen=True)
class Prepared:
    """What one validation run needs.

    Attributes:
        runnable: GX expectations, each with `meta["name"]` = the spec's name.
        errors: spec name -> why it cannot run.
        flags: flag columns to add to the frame (value-set membership), by column name.
    """

    runnable: list[Expectation] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    flags: dict[str, pd.Series] = field(default_factory=dict)


def prepare(
    frame: pd.DataFrame,
    expectations: list[ExpectationSpec],
    now: datetime,
    value_sets: dict[str, list] | None,
) -> Prepared:
    """GX expectations for `expectations` on `frame`; the ones that cannot run, with a reason."""
    prepared = Prepared()
    for spec in expectations:
        try:
            if spec.level == "row" and not is_row_level(expectation_class(spec.type)):
                raise ValueError(f"{spec.type} does not judge rows; declare it level: dataset")
            type_name, kwargs = _runnable_kwargs(frame, spec, now, value_sets, prepared.flags)
            prepared.runnable.append(build_expectation(type_name, kwargs, meta={"name": spec.name}))
        except (LookupError, ValueError) as exc:
            prepared.errors[spec.name] = str(exc)
    return prepared


def flag_column(spec: ExpectationSpec) -> str:
    """The flag column of a value-set membership check (True = the row fails)."""
    return f"__{spec.name}__outside_value_set"


def _runnable_kwargs(
    frame: pd.DataFrame,
    spec: ExpectationSpec,
    now: datetime,
    value_sets: dict[str, list] | None,
    flags: dict[str, pd.Series],
) -> tuple[str, dict[str, Any]]:
    if not (spec.value_set_from and spec.type in (IN_SET, NOT_IN_SET)):
        return spec.type, resolve_kwargs(spec, now, value_sets)
    if value_sets is None or spec.value_set_from not in value_sets:
        raise MissingValueSet(f"value set {spec.value_set_from!r} was not supplied")
    column = spec.kwargs.get("column")
    if column not in frame.columns:
        raise ValueError(f"column {column!r} is not in the staged frame")
    name = flag_column(spec)
    flags[name] = _fails_membership(frame[column], value_sets[spec.value_set_from], spec.type)
    others = {k: v for k, v in spec.kwargs.items() if k not in ("column", "value_set")}
    return NOT_IN_SET, {**replace_now(others, now), "column": name, "value_set": [True]}


def _fails_membership(column: pd.Series, values: list, type_name: str) -> pd.Series:
    # pandas 3's arrow-backed `str` isin builds one pyarrow scalar per value (3 s per
    # million); the object-dtype hash table gives the same answer in a fifth of the time.
    searched = column.astype(object) if pd.api.types.is_string_dtype(column.dtype) else column
    member = searched.isin(values)
    fails = member if type_name == NOT_IN_SET else ~member
    return (fails & column.notna()).astype(bool)
