"""A dataset's suite evaluated as DuckDB SQL over the staged table: no pandas frame of it.

Row-level checks are judged on the load (`staging."<dataset>"`): one scan counts every
check's judged and failing rows, then the failing `_row_id`s of each failing check are read
(ids only, never values). Dataset-level checks are judged on the dataset as it will be
published (`merged`: the published rows this load does not replace, plus this load's clean
rows), so a small incremental batch is not judged alone. Memory is DuckDB's: bounded by the
connection's `memory_limit`, spilling to its `temp_directory`.

An expectation `sql_compile` does not translate runs with Great Expectations on a frame of
the columns it reads (`gx_bridge.run_suite`): the fallback engine, unused by today's suites.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from upflux_etl.catalog.expectation_types import judges_rows
from upflux_etl.catalog.models import ExpectationSpec
from upflux_etl.quality.gx_results import safe_error
from upflux_etl.quality.kwargs import replace_now
from upflux_etl.quality.outcome import ROW, ROW_ID, CheckOutcome, SuiteOutcome
from upflux_etl.quality.sql_compile import (
    ALIAS,
    AggregateCheck,
    Compiled,
    NotCompilable,
    RowCheck,
    compile_expectation,
    quote,
)
from upflux_etl.quality.status import errored, judge_aggregate, judge_row
from upflux_etl.warehouse.files import first_row, scalar
from upflux_etl.warehouse.merged import MergedParts
from upflux_etl.warehouse.parts import live_counts

log = logging.getLogger("upflux.quality")
FAILING_ROWS = "_failing_rows"  # registered during a run: the failing rows' `_row_id`s


@dataclass(frozen=True)
class Measured:
    """What one compiled check found (GX's result fields, without values).

    Attributes:
        element_count: rows in the table.
        judged: rows GX counts as nonnull (row checks), or rows (dataset checks).
        failing_row_ids: `_row_id`s of the failing rows, ascending.
        unexpected_percent: GX's `unexpected_percent` (row checks), else None.
        observed: the observed value (dataset checks), else None.
        success: GX's success (with `mostly` for row checks).
    """

    element_count: int
    judged: int
    failing_row_ids: tuple[int, ...]
    unexpected_percent: float | None
    observed: float | None
    success: bool


def result_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of `table` (or of a query in parentheses)."""
    rows = con.execute(f"describe select * from {table}").fetchall()
    return {r[0]: str(r[1]) for r in rows}


def measure(con: duckdb.DuckDBPyConnection, table: str, check: Compiled) -> Measured:
    """Evaluate one compiled check on `table` (which has a `_row_id` column for row checks)."""
    if isinstance(check, AggregateCheck):
        return _scan_aggregates(con, table, {"check": check})["check"]
    judged = check.judged or "true"
    total, considered = first_row(
        con, f"select count(*), coalesce(count_if({judged}), 0) from {table} as {ALIAS}"
    ) or (0, 0)
    ids = failing_ids(con, table, check)
    return _row_measure(check, int(total), int(considered), ids)


def failing_ids(con: duckdb.DuckDBPyConnection, table: str, check: RowCheck) -> tuple[int, ...]:
    """The failing rows' `_row_id`s, ascending."""
    column = con.execute(
        f"select {ROW_ID} from {table} as {ALIAS} where {check.failing} order by {ROW_ID}"
    ).fetchnumpy()[ROW_ID]
    return tuple(int(v) for v in column)


def _row_measure(check: RowCheck, total: int, judged: int, ids: tuple[int, ...]) -> Measured:
    failing = len(ids)
    base = total if check.judged is None else judged
    if total == 0 or base == 0:
        success, percent = True, None
    else:
        success = (base - failing) / base >= check.mostly
        percent = failing / base * 100
    return Measured(total, base, ids, percent, None, success)


@dataclass(frozen=True)
class SqlSuiteInput:
    """Where a suite runs.

    Attributes:
        table: the staged load, e.g. `staging."exams"` (with `_row_id`).
        merged: a query (in parentheses) of the dataset as it will be published, given the
            failing row ids in the registered table `_failing_rows(_row_id)`; None: the load.
        merged_parts: the same dataset as counts (`warehouse.merged.merged_parts`): the
            dataset-level checks that are counts are measured on it, without the merged
            query's anti-join over the whole published table; None: on `merged`.
        value_sets: `value_set_from` reference -> query returning the allowed values.
        fallback: runs specs with GX when they do not compile (see `gx_fallback`).
    """

    table: str
    merged: str | None = None
    merged_parts: MergedParts | None = None
    value_sets: dict[str, str] | None = None
    fallback: Callable[[list[ExpectationSpec]], SuiteOutcome] | None = None


def run_sql_suite(
    con: duckdb.DuckDBPyConnection,
    expectations: list[ExpectationSpec],
    *,
    dataset: str,
    now: datetime,
    where: SqlSuiteInput,
) -> SuiteOutcome:
    """One outcome per expectation, in the given order, each with its status.

    Raises:
        ValueError: `now` without a time zone.
    """
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone (timestamps are tz-aware)")
    types = result_types(con, where.table)
    known = _known_names(types, expectations)
    compiled: dict[str, Compiled] = {}
    errors: dict[str, str] = {}
    fallback: list[ExpectationSpec] = []
    for spec in expectations:
        try:
            compiled[spec.name] = _compile(spec, types, where, now)
        except NotCompilable as exc:
            log.info("%s.%s runs with Great Expectations: %s", dataset, spec.name, exc)
            fallback.append(spec)
        except (LookupError, ValueError) as exc:
            errors[spec.name] = safe_error(str(exc), known)
    total = scalar(con, f"select count(*) from {where.table}")
    rows = {n: c for n, c in compiled.items() if isinstance(c, RowCheck)}
    row_measures = _measure_rows(con, where.table, rows, int(total), errors, known)
    merged = _merged(con, where, row_measures)
    aggregates = {n: c for n, c in compiled.items() if isinstance(c, AggregateCheck)}
    measured_aggregates = _measure_aggregates(con, merged, aggregates, where.merged_parts)
    outcomes: dict[str, CheckOutcome] = {}
    if fallback and where.fallback is not None:
        outcomes.update({c.name: c for c in where.fallback(fallback).checks})
    missing = {s.name for s in fallback} - set(outcomes)
    errors.update({name: "no engine ran this expectation" for name in missing})
    for spec in expectations:
        if spec.name in outcomes:
            continue
        if spec.name in errors:
            outcomes[spec.name] = _errored(spec, dataset, int(total), errors[spec.name])
        elif spec.name in row_measures:
            measured = row_measures[spec.name]
            populated = None
            if measured.judged == 0:
                populated = _populated(con, merged, rows[spec.name], int(total), where.merged_parts)
            outcomes[spec.name] = judge_row(spec, dataset, measured, populated)
        else:
            check = aggregates[spec.name]
            outcomes[spec.name] = _aggregate(
                con,
                spec,
                dataset,
                check,
                merged,
                known,
                measured_aggregates.get(spec.name),
                where.merged_parts,
            )
    con.unregister(FAILING_ROWS)
    return SuiteOutcome(dataset=dataset, checks=tuple(outcomes[s.name] for s in expectations))


def _compile(
    spec: ExpectationSpec, types: dict[str, str], where: SqlSuiteInput, now: datetime
) -> Compiled:
    if spec.level == ROW and not judges_rows(spec.type):
        raise ValueError(f"{spec.type} does not judge rows; declare it level: dataset")
    value_set_sql = None
    if spec.value_set_from:
        sets = where.value_sets or {}
        if spec.value_set_from not in sets:
            raise LookupError(f"value set {spec.value_set_from!r} was not supplied")
        value_set_sql = sets[spec.value_set_from]
    kwargs = replace_now(dict(spec.kwargs), now)
    return compile_expectation(
        spec.type, kwargs, types, table=where.table, value_set_sql=value_set_sql
    )


def _measure_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: dict[str, RowCheck],
    total: int,
    errors: dict[str, str],
    known: set[str],
) -> dict[str, Measured]:
    """One scan for every row check's counts, then the failing ids of those that fail."""
    if not rows:
        return {}
    names = list(rows)
    parts = [
        f"coalesce(count_if({rows[n].judged or 'true'}), 0), coalesce(count_if({rows[n].failing}), 0)"
        for n in names
    ]
    try:
        counts = first_row(con, f"select {', '.join(parts)} from {table} as {ALIAS}") or ()
    except duckdb.Error:
        counts = ()  # one broken check: measure each alone below, to name it
    measured: dict[str, Measured] = {}
    for i, name in enumerate(names):
        try:
            if counts:
                judged, failing = int(counts[2 * i]), int(counts[2 * i + 1])
                ids = failing_ids(con, table, rows[name]) if failing else ()
                measured[name] = _row_measure(rows[name], total, judged, ids)
            else:
                measured[name] = measure(con, table, rows[name])
        except duckdb.Error as exc:
            errors[name] = safe_error(exc, known)
    return measured


def _merged(con: duckdb.DuckDBPyConnection, where: SqlSuiteInput, rows: dict[str, Measured]) -> str:
    """The dataset as it will be published; `_failing_rows` registered for its query."""
    failing = sorted({i for m in rows.values() for i in m.failing_row_ids})
    con.register(FAILING_ROWS, pa.table({ROW_ID: pa.array(failing, pa.int64())}))
    if where.merged is not None:
        return where.merged
    return (
        f"(select * from {where.table} where {ROW_ID} not in (select {ROW_ID} from {FAILING_ROWS}))"
    )


def _populated(
    con: duckdb.DuckDBPyConnection,
    merged: str,
    check: RowCheck,
    total: int,
    parts: MergedParts | None = None,
) -> bool | None:
    """Whether the columns a row check judges hold any value in the published dataset.

    Only asked when no row of the load was judged; None when it cannot tell (a column the
    published dataset does not keep, such as an internal flag).
    """
    published = result_types(con, merged)
    columns = [c for c in check.columns if c in published]
    if total == 0 or not columns or len(columns) != len(check.columns):
        return None
    return _any_row(con, merged, columns, parts)


def _measure_aggregates(
    con: duckdb.DuckDBPyConnection,
    merged: str,
    checks: dict[str, AggregateCheck],
    parts: MergedParts | None = None,
) -> dict[str, Measured]:
    """Every dataset-level check measured in one statement.

    With `parts`, from counts over the published table, the rows the load replaces and its
    clean rows (their key column and the checked columns; the semi-join builds on the load's
    keys); else in one scan of the merged dataset, which on an incremental load is an
    anti-join over the whole published table. Empty when a check's SQL fails: each is then
    measured alone, to name the broken one.
    """
    if not checks:
        return {}
    try:
        if parts is not None and all(_countable(c, parts) for c in checks.values()):
            return _count_aggregates(con, parts, checks)
        return _scan_aggregates(con, merged, checks)
    except duckdb.Error:
        return {}


def _countable(check: AggregateCheck, parts: MergedParts) -> bool:
    return bool(check.counts) and set(check.columns) <= parts.columns


def _count_aggregates(
    con: duckdb.DuckDBPyConnection, parts: MergedParts, checks: dict[str, AggregateCheck]
) -> dict[str, Measured]:
    """`checks`' observed values from their counts: published - replaced + clean.

    The published counts are the warehouse's counters when the dataset is kept as parts
    (`parts.live_counts`), else a scan.
    """
    counts = list(dict.fromkeys(["count(*)", *(c for k in checks.values() for c in k.counts)]))
    select = ", ".join(counts)
    width = len(counts)
    published = live_counts(con, parts.dataset, counts)
    shares = [parts.published, parts.replaced, parts.clean][0 if published is None else 1 :]
    row = first_row(con, "select * from " + ", ".join(f"(select {select} {s})" for s in shares))
    if row is None:
        raise duckdb.InvalidInputException("the counts gave no row")
    row = (*(published or ()), *row)
    merged = {
        c: int(row[i]) - int(row[width + i]) + int(row[2 * width + i]) for i, c in enumerate(counts)
    }
    total = merged["count(*)"]
    measured = {}
    for name, check in checks.items():
        value = check.observed_from(tuple(merged[c] for c in check.counts))
        measured[name] = Measured(total, total, (), None, value, check.judge(value))
    return measured


def _scan_aggregates(
    con: duckdb.DuckDBPyConnection, table: str, checks: dict[str, AggregateCheck]
) -> dict[str, Measured]:
    """`checks`' observed values (and the row count) from one scan of `table`."""
    names = list(checks)
    observed = ", ".join(checks[n].observed for n in names)
    row = first_row(con, f"select count(*), {observed} from {table} as {ALIAS}")
    total = int(row[0]) if row else 0
    measured = {}
    for i, name in enumerate(names):
        raw = row[i + 1] if row else None
        value = None if raw is None else float(raw)
        measured[name] = Measured(total, total, (), None, value, checks[name].judge(value))
    return measured


def _aggregate(
    con: duckdb.DuckDBPyConnection,
    spec: ExpectationSpec,
    dataset: str,
    check: AggregateCheck,
    merged: str,
    known: set[str],
    measured: Measured | None = None,
    parts: MergedParts | None = None,
) -> CheckOutcome:
    try:
        measured = measured or measure(con, merged, check)
        populated = None
        if check.columns:
            populated = _any_row(con, merged, check.columns, parts)
    except duckdb.Error as exc:
        return _errored(spec, dataset, 0, safe_error(exc, known))
    return judge_aggregate(spec, dataset, measured, check, populated)


def _any_row(
    con: duckdb.DuckDBPyConnection,
    merged: str,
    columns: Iterable[str],
    parts: MergedParts | None = None,
) -> bool:
    """Whether any row of `merged` holds a value in every one of `columns` (stops at the first).

    With `parts`, the load's clean rows are asked first and the published rows it keeps only
    if none does: the union's anti-join over the whole published dataset does not stop early.
    """
    columns = list(columns)
    present = " and ".join(f"{quote(c)} is not null" for c in columns)
    if parts is None or not set(columns) <= parts.columns:
        return bool(scalar(con, f"select exists (select 1 from {merged} where {present})"))
    on_t = " and ".join(f"t.{quote(c)} is not null" for c in columns)
    return any(
        scalar(con, f"select exists (select 1 {rows} and {on_t})")
        for rows in (parts.clean, parts.kept)
    )


def _errored(spec: ExpectationSpec, dataset: str, total: int, error: str) -> CheckOutcome:
    return errored(spec, dataset, total, error)


def _known_names(types: dict[str, str], expectations: list[ExpectationSpec]) -> set[str]:
    """Names that may stay in an error text: columns and the suite's own strings, not data."""
    names = set(types)
    for spec in expectations:
        names.update([spec.name, spec.type, spec.value_set_from or ""])
        names.update(str(v) for v in spec.kwargs.values() if isinstance(v, str))
    return names
