"""Great Expectations expectations compiled to DuckDB SQL over a staged table.

The suite stays the definition: each expectation is first built by GX itself (its pydantic
model validates the kwargs and supplies the defaults: `mostly`, `ignore_row_if`, strictness),
then its meaning is written as SQL with GX's pandas semantics, which the parity tests
(tests/unit/test_sql_parity.py) prove on the same data:

- a value is missing when it is null, or NaN in a floating column (pandas' `isna`); an
  empty string is a value;
- a row-level (map) check is a predicate "the row fails" plus one "the row is judged"
  (GX's nonnull count), so counts, failing `_row_id`s, `unexpected_percent` and `mostly`
  follow GX's formulas;
- a dataset-level check is an aggregate "observed value" judged against min/max bounds.

An expectation type or kwarg not listed here raises `NotCompilable`: the caller may run it
with GX instead (`sql_suite` does so, on the columns it reads only).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from upflux_etl.catalog.expectation_types import kwargs_problems, registry

ALIAS = "t"  # the checked table's alias in every predicate
_FLOATING = ("FLOAT", "DOUBLE", "REAL")
# Kwargs every expectation accepts that do not change which rows fail.
_NEUTRAL = {"result_format", "catch_exceptions", "meta", "severity", "description", "notes"}
# Python-only regex syntax that RE2 (DuckDB) does not share: lookaround, backreferences.
_PYTHON_ONLY_REGEX = re.compile(r"\(\?[=!<]|\(\?P=|\\[1-9]")


class NotCompilable(ValueError):
    """An expectation (type or kwarg) this compiler does not translate to SQL."""


@dataclass(frozen=True)
class RowCheck:
    """A map expectation: `failing` and `judged` are SQL predicates on the row `t`.

    Attributes:
        failing: the row fails (never true for an ignored row).
        judged: the row counts in GX's nonnull count (`None`: every row, as for not-null).
        mostly: GX's `mostly` (share of judged rows that must pass).
        columns: the columns read.
    """

    failing: str
    judged: str | None
    mostly: float
    columns: tuple[str, ...]


@dataclass(frozen=True)
class AggregateCheck:
    """A dataset-level expectation: `observed` is an SQL aggregate over the table `t`.

    Attributes:
        observed: the aggregate (NULL on an empty table where GX observes nothing).
        min_value: lower bound or None.
        max_value: upper bound or None.
        strict_min: the lower bound excluded.
        strict_max: the upper bound excluded.
        columns: the columns read.
        counts: `observed` as counts that add up over disjoint parts of the table (the
            published rows, those a load replaces, those it brings), `count(*)` first; see
            `observed_from`. Empty: `observed` is measured on the whole table only.
    """

    observed: str
    min_value: float | None
    max_value: float | None
    strict_min: bool
    strict_max: bool
    columns: tuple[str, ...]
    counts: tuple[str, ...] = ()

    def observed_from(self, counts: tuple[int, ...]) -> float | None:
        """`observed` from the values of `counts` over the whole table.

        The row count itself, or the share of rows the second count holds (None on no rows,
        as `observed`'s division by `nullif(count(*), 0)`).
        """
        if len(counts) == 1:
            return float(counts[0])
        rows, present = counts
        return present / rows if rows else None

    def judge(self, observed: float | None) -> bool:
        """GX's success for an observed value (None never passes)."""
        if observed is None or (isinstance(observed, float) and math.isnan(observed)):
            return False
        low = self.min_value is None or (
            observed > self.min_value if self.strict_min else observed >= self.min_value
        )
        high = self.max_value is None or (
            observed < self.max_value if self.strict_max else observed <= self.max_value
        )
        return low and high

    def expected(self) -> str:
        """The bounds as text ("≥ 0.5", "≥ 1 e ≤ 12")."""
        parts = []
        if self.min_value is not None:
            parts.append(f"{'>' if self.strict_min else '≥'} {self.min_value:g}")
        if self.max_value is not None:
            parts.append(f"{'<' if self.strict_max else '≤'} {self.max_value:g}")
        return " e ".join(parts)


Compiled = RowCheck | AggregateCheck


def compile_expectation(
    type_name: str,
    kwargs: dict[str, Any],
    column_types: dict[str, str],
    *,
    table: str,
    value_set_sql: str | None = None,
) -> Compiled:
    """The SQL meaning of one expectation on `table` (aliased `t` in predicates).

    Args:
        type_name: the GX expectation type.
        kwargs: its kwargs, "$now" already replaced; `value_set` may be absent when
            `value_set_sql` gives it.
        column_types: the table's columns -> DuckDB type names.
        table: the qualified table name (for uniqueness subqueries).
        value_set_sql: a query returning the allowed values in one column (`value_set_from`).

    Raises:
        NotCompilable: a type or kwarg not translated here.
        LookupError, ValueError: GX rejects the type or kwargs, or a column is missing.
    """
    probe = dict(kwargs)
    if value_set_sql is not None:
        probe["value_set"] = []
    exp = declared_expectation(type_name, probe)
    compiler = _COMPILERS.get(type_name)
    if compiler is None:
        raise NotCompilable(f"{type_name} is not compiled to SQL")
    extra = set(kwargs) - _NEUTRAL - _SUPPORTED[type_name]
    if extra:
        raise NotCompilable(f"{type_name}: kwargs {sorted(extra)} are not compiled to SQL")
    for name in _columns_of(exp):
        if name not in column_types:
            raise ValueError(f"column {name!r} is not in the staged table")
    return compiler(_Context(exp, column_types, table, value_set_sql))


@dataclass(frozen=True)
class _Context:
    exp: Any
    types: dict[str, str]
    table: str
    value_set_sql: str | None

    def col(self, name: str, alias: str = ALIAS) -> str:
        return f"{alias}.{quote(name)}"

    def missing(self, name: str, alias: str = ALIAS) -> str:
        ref = self.col(name, alias)
        if self.types[name].upper() in _FLOATING:
            return f"({ref} is null or isnan({ref}))"
        return f"({ref} is null)"

    def present(self, name: str, alias: str = ALIAS) -> str:
        return f"(not {self.missing(name, alias)})"


def declared_expectation(type_name: str, kwargs: dict[str, Any]) -> SimpleNamespace:
    """The expectation's fields: `kwargs` over GX's defaults, checked by GX's own schemas.

    The schemas and defaults are the registry generated from the pinned GX (and compared with
    it by a test: `catalog/expectation_types.py`), so a load compiles its checks without
    importing Great Expectations (several seconds a process); the parity tests run the same
    kwargs through GX.

    Raises:
        LookupError: GX has no expectation of that type.
        ValueError: GX's schema rejects the kwargs (each reason named).
    """
    spec = registry()["types"].get(type_name)
    if spec is None:
        raise LookupError(f"Great Expectations has no expectation type {type_name!r}")
    checked = {k: v.isoformat() if isinstance(v, date) else v for k, v in kwargs.items()}
    problems = kwargs_problems(type_name, checked)
    if problems:
        raise ValueError(f"{type_name}: {'; '.join(problems)}")
    properties = spec["properties"]
    fields = {name: schema.get("default") for name, schema in properties.items()}
    return SimpleNamespace(**{**fields, **kwargs})


def quote(name: str) -> str:
    """A DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A DuckDB literal for a kwarg value (strings escaped, datetimes typed)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        kind = "timestamptz" if value.tzinfo is not None else "timestamp"
        return f"{kind} '{value.isoformat()}'"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _columns_of(exp: Any) -> tuple[str, ...]:
    names = [getattr(exp, k, None) for k in ("column", "column_A", "column_B")]
    names.extend(getattr(exp, "column_list", None) or [])
    return tuple(n for n in names if isinstance(n, str))


def _mostly(exp: Any) -> float:
    return float(getattr(exp, "mostly", 1.0) or 1.0)


def _not_null(ctx: _Context) -> Compiled:
    c = ctx.exp.column
    return RowCheck(ctx.missing(c), None, _mostly(ctx.exp), (c,))


def _set_members(ctx: _Context) -> str:
    if ctx.value_set_sql is not None:
        return f"({ctx.value_set_sql})"
    values = list(ctx.exp.value_set or [])
    if not values:
        return "(select null where false)"
    return "(" + ", ".join(literal(v) for v in values) + ")"


def _in_set(ctx: _Context) -> Compiled:
    c = ctx.exp.column
    fails = f"{ctx.present(c)} and coalesce({ctx.col(c)} not in {_set_members(ctx)}, true)"
    return RowCheck(fails, ctx.present(c), _mostly(ctx.exp), (c,))


def _not_in_set(ctx: _Context) -> Compiled:
    c = ctx.exp.column
    fails = f"{ctx.present(c)} and coalesce({ctx.col(c)} in {_set_members(ctx)}, false)"
    return RowCheck(fails, ctx.present(c), _mostly(ctx.exp), (c,))


def _unique(ctx: _Context) -> Compiled:
    c = ctx.exp.column
    dup = (
        f"select {quote(c)} from {ctx.table} as u where {ctx.present(c, 'u')} "
        f"group by {quote(c)} having count(*) > 1"
    )
    return RowCheck(
        f"{ctx.present(c)} and {ctx.col(c)} in ({dup})", ctx.present(c), _mostly(ctx.exp), (c,)
    )


def _ignored(ctx: _Context, columns: list[str], rule: str, alias: str = ALIAS) -> str:
    missing = [ctx.missing(c, alias) for c in columns]
    if rule in ("all_values_are_missing", "both_values_are_missing"):
        return "(" + " and ".join(missing) + ")"
    if rule in ("any_value_is_missing", "either_value_is_missing"):
        return "(" + " or ".join(missing) + ")"
    if rule in ("never", "neither"):
        return "false"
    raise NotCompilable(f"ignore_row_if {rule!r} is not compiled to SQL")


def _compound_unique(ctx: _Context) -> Compiled:
    columns = list(ctx.exp.column_list)
    rule = str(ctx.exp.ignore_row_if)
    cols = ", ".join(quote(c) for c in columns)
    # pandas' duplicated() treats missing values as equal: `is not distinct from`.
    dup = (
        f"select {cols} from {ctx.table} as u where not {_ignored(ctx, columns, rule, 'u')} "
        f"group by all having count(*) > 1"
    )
    same = " and ".join(
        f"d.{quote(c)} is not distinct from {_nan_as_null(ctx, c)}" for c in columns
    )
    judged = f"not {_ignored(ctx, columns, rule)}"
    fails = f"{judged} and exists (select 1 from ({dup}) as d where {same})"
    return RowCheck(fails, judged, _mostly(ctx.exp), tuple(columns))


def _nan_as_null(ctx: _Context, name: str) -> str:
    if ctx.types[name].upper() in _FLOATING:
        return f"(case when not isnan({ctx.col(name)}) then {ctx.col(name)} end)"
    return ctx.col(name)


def _pair_greater(ctx: _Context) -> Compiled:
    a, b = ctx.exp.column_A, ctx.exp.column_B
    judged = f"not {_ignored(ctx, [a, b], str(ctx.exp.ignore_row_if))}"
    op = ">=" if ctx.exp.or_equal else ">"
    fails = f"{judged} and not coalesce({ctx.col(a)} {op} {ctx.col(b)}, false)"
    return RowCheck(fails, judged, _mostly(ctx.exp), (a, b))


def _between(ctx: _Context) -> Compiled:
    c = ctx.exp.column
    low, high = ctx.exp.min_value, ctx.exp.max_value
    if low is None and high is None:
        raise ValueError("min_value and max_value cannot both be None")
    ok = []
    if low is not None:
        ok.append(f"{ctx.col(c)} {'>' if ctx.exp.strict_min else '>='} {literal(low)}")
    if high is not None:
        ok.append(f"{ctx.col(c)} {'<' if ctx.exp.strict_max else '<='} {literal(high)}")
    fails = f"{ctx.present(c)} and not coalesce({' and '.join(ok)}, false)"
    return RowCheck(fails, ctx.present(c), _mostly(ctx.exp), (c,))


def _match_regex(ctx: _Context) -> Compiled:
    c, regex = ctx.exp.column, str(ctx.exp.regex)
    if _PYTHON_ONLY_REGEX.search(regex):
        raise NotCompilable("regex uses syntax RE2 does not have")
    # pandas: str(value).str.contains(regex) -> a search anywhere in the text.
    fails = f"{ctx.present(c)} and not regexp_matches({ctx.col(c)}::varchar, {literal(regex)})"
    return RowCheck(fails, ctx.present(c), _mostly(ctx.exp), (c,))


def _proportion_non_null(ctx: _Context) -> Compiled:
    c = ctx.exp.column
    present = f"coalesce(count_if({ctx.present(c)}), 0)"
    observed = f"{present} / nullif(count(*), 0)"
    return _aggregate(ctx, observed, (c,), ("count(*)", present))


def _row_count(ctx: _Context) -> Compiled:
    return _aggregate(ctx, "count(*)", (), ("count(*)",))


def _aggregate(
    ctx: _Context, observed: str, columns: tuple[str, ...], counts: tuple[str, ...]
) -> AggregateCheck:
    exp = ctx.exp
    return AggregateCheck(
        observed,
        None if exp.min_value is None else float(exp.min_value),
        None if exp.max_value is None else float(exp.max_value),
        bool(getattr(exp, "strict_min", False)),
        bool(getattr(exp, "strict_max", False)),
        columns,
        counts,
    )


_COMPILERS = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_not_be_in_set": _not_in_set,
    "expect_column_values_to_be_unique": _unique,
    "expect_compound_columns_to_be_unique": _compound_unique,
    "expect_column_pair_values_a_to_be_greater_than_b": _pair_greater,
    "expect_column_values_to_be_between": _between,
    "expect_column_values_to_match_regex": _match_regex,
    "expect_column_proportion_of_non_null_values_to_be_between": _proportion_non_null,
    "expect_table_row_count_to_be_between": _row_count,
}
_MAP = {"column", "mostly"}
_SUPPORTED: dict[str, set[str]] = {
    "expect_column_values_to_not_be_null": _MAP,
    "expect_column_values_to_be_in_set": _MAP | {"value_set"},
    "expect_column_values_to_not_be_in_set": _MAP | {"value_set"},
    "expect_column_values_to_be_unique": _MAP,
    "expect_compound_columns_to_be_unique": {"column_list", "ignore_row_if", "mostly"},
    "expect_column_pair_values_a_to_be_greater_than_b": {
        "column_A",
        "column_B",
        "or_equal",
        "ignore_row_if",
        "mostly",
    },
    "expect_column_values_to_be_between": _MAP
    | {"min_value", "max_value", "strict_min", "strict_max"},
    "expect_column_values_to_match_regex": _MAP | {"regex"},
    "expect_column_proportion_of_non_null_values_to_be_between": {
        "column",
        "min_value",
        "max_value",
        "strict_min",
        "strict_max",
    },
    "expect_table_row_count_to_be_between": {"min_value", "max_value", "strict_min", "strict_max"},
}


def compiled_types() -> tuple[str, ...]:
    """The expectation types compiled to SQL (the others run with GX)."""
    return tuple(_COMPILERS)
