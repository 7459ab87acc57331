"""The indicator step: one indicator computed on the run's build, its values kept there.

An incremental load recomputes only the months its changed rows reach (`indicators/periods.py`)
and carries the other months' values from the load before; a full load, the first load, an
indicator the load before did not compute or whose definition changed since recompute every
month. `meta.indicator_runs` keeps which months each load recomputed, and why.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Generator
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from upflux_etl.catalog.models import IndicatorSpec
from upflux_etl.indicators.compute import (
    compute_coverage,
    compute_indicator,
    create_macros,
    register_parameters,
    set_periods,
)
from upflux_etl.indicators.periods import (
    PUBLISHED,
    Extents,
    Touched,
    attach_published,
    changed_rows,
    coverage_months,
    definition_hash,
    detach_published,
    touched_months,
)
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.build import build_connection
from upflux_etl.warehouse.files import scalar
from upflux_etl.warehouse.meta.indicators import (
    IndicatorRun,
    carry_indicator_coverage,
    carry_indicator_values,
    read_indicator_run,
    write_indicator_coverage,
    write_indicator_run,
    write_indicator_values,
)
from upflux_etl.warehouse.meta.loads import base_version, last_published

log = logging.getLogger("upflux.pipeline")


def compute_indicators(
    ctx: LoadContext, names: list[str]
) -> Generator[tuple[str, int | Exception], None, None]:
    """Compute the indicators on the run's build, one after the other on one connection.

    Yields each indicator's name with how many values it holds now, or with the error that
    stopped it: the others still run, so a load learns every broken indicator at once (the
    caller decides what an error is; a person's interruption should stop them all).
    """
    with build_connection(ctx) as con:
        create_macros(con, ctx.catalog.macros)
        register_parameters(con, ctx.client.triage)
        compared = not ctx.full and ctx.files.published.exists()
        if compared:  # once for every indicator's plan, not once per indicator
            attach_published(con, str(ctx.files.published))
        try:
            published = _Published(_published_unusable(ctx, con) if compared else None)
            for name in names:
                try:
                    count = _compute(ctx, con, name, published)
                except Exception as exc:  # noqa: BLE001 (yielded to the caller, which decides)
                    yield name, exc
                else:
                    yield name, count
        finally:
            if compared:
                detach_published(con)


@dataclass
class _Published:
    """What the plans of one load's indicators share about the published warehouse.

    Attributes:
        unusable: why the load cannot compare its build with it, if so (`_published_unusable`).
        extents: the period bounds' extents read so far (indicators share bounds).
    """

    unusable: str | None
    extents: Extents = field(default_factory=dict)


def _compute(
    ctx: LoadContext, con: duckdb.DuckDBPyConnection, name: str, published: _Published
) -> int:
    """Compute one indicator on the build (`con`); how many values it holds now.

    The published warehouse, when there is one to compare with, is attached as `PUBLISHED`.
    """
    spec = ctx.catalog.indicators[name]
    definition = definition_hash(spec, ctx.catalog.macros, ctx.client.timezone, ctx.client.triage)
    run, previous, coverage = _plan(ctx, con, spec, definition, published)
    if previous is None:
        set_periods(con)
        count = write_indicator_values(
            con, ctx.run_id, spec.name, spec.unit, compute_indicator(con, spec)
        )
    else:
        touched = Touched(frozenset(run.months), run.from_month)
        values = _touched_values(con, spec, touched)
        count = write_indicator_values(con, ctx.run_id, spec.name, spec.unit, values)
        count += carry_indicator_values(con, run, previous, spec.unit)
    set_periods(con)
    write_indicator_run(con, run)
    fresh = compute_coverage(con, spec, coverage if previous else None)
    write_indicator_coverage(con, ctx.run_id, spec.name, fresh)
    if previous is not None and coverage is not None:
        carry_indicator_coverage(con, ctx.run_id, previous, spec.name, coverage)
    con.execute("checkpoint")
    log.info("indicator %s: %d values (%s)", name, count, _described(run))
    return count


def _touched_values(
    con: duckdb.DuckDBPyConnection, spec: IndicatorSpec, touched: Touched
) -> pa.Table:
    """The indicator's values of the touched months only (none when nothing was touched)."""
    if touched.empty:
        return _no_values()
    set_periods(con, *touched.bounds())
    values = compute_indicator(con, spec)
    keep = [p is not None and touched.covers(p) for p in values.column("period").to_pylist()]
    return values.filter(pa.array(keep, pa.bool_()))


def _no_values() -> pa.Table:
    return pa.table(
        {
            "period": pa.array([], pa.date32()),
            "dimensions": pa.array([], pa.string()),
            "measure": pa.array([], pa.string()),
            "value": pa.array([], pa.float64()),
        }
    )


def _published_unusable(ctx: LoadContext, con: duckdb.DuckDBPyConnection) -> str | None:
    """Why an incremental load cannot compare its build with the published warehouse, if so.

    Asked once per load, not per indicator, with the published warehouse attached: it is not
    the one the load built on, or its views name a folder the hospital's folder moved from.
    """
    version = scalar(
        con, f"select version from {PUBLISHED}.meta.publication order by published_at desc limit 1"
    )
    if version != base_version(con, ctx.run_id):
        return "the published warehouse is not the one this load built on"
    if folder := parts.moved(con, PUBLISHED):
        return f"the hospital's folder moved (the published views name {folder})"
    return None


def _plan(
    ctx: LoadContext,
    con: duckdb.DuckDBPyConnection,
    spec: IndicatorSpec,
    definition: str,
    published: _Published,
) -> tuple[IndicatorRun, str | None, frozenset[dt.date] | None]:
    """What this load recomputes, whose values it carries, which coverage months it counts.

    The load carried from is None when every month is recomputed; the coverage's months are
    None when every month is counted again (the others are carried).
    """

    def every_month(reason: str) -> tuple[IndicatorRun, None, None]:
        return IndicatorRun(ctx.run_id, spec.name, definition, "all", reason), None, None

    if ctx.full:
        return every_month("full load")
    if spec.periods is None:
        return every_month("the indicator declares no periods")
    previous = last_published(con)
    if previous is None or not ctx.files.published.exists():
        return every_month("first load")
    before = read_indicator_run(con, previous.load_id, spec.name)
    if before is None:
        return every_month(f"load {previous.load_id} did not record this indicator")
    if before.definition != definition:
        return every_month("definition changed")
    if published.unusable:
        return every_month(published.unusable)
    changes = {}
    for rows in spec.periods.rows:
        keys = ctx.dataset(rows.dataset).primary_key
        table = changed_rows(con, rows.dataset, keys, ctx.run_id)
        if table is None:
            return every_month(f"dataset {rows.dataset} is new or changed its columns")
        changes[rows.dataset] = table
    touched = touched_months(con, spec, changes, published.extents)
    covered = ctx.dataset(spec.coverage.dataset)
    counted = changed_rows(con, covered.name, covered.primary_key, ctx.run_id)
    coverage = None if counted is None else coverage_months(con, spec, counted)
    run = IndicatorRun(
        ctx.run_id,
        spec.name,
        definition,
        "touched",
        "incremental load",
        tuple(sorted(touched.months)),
        touched.open_from,
    )
    return run, previous.load_id, coverage


def _described(run: IndicatorRun) -> str:
    if run.recomputed == "all":
        return f"every month: {run.reason}"
    months = [m.strftime("%Y-%m") for m in run.months]
    if run.from_month:
        months.append(f"{run.from_month:%Y-%m} on")
    return "months " + (", ".join(months) if months else "none") + " recomputed"
