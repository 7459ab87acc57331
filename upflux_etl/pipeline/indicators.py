"""The indicator step: one indicator computed on the run's build, its values kept there."""

from __future__ import annotations

import logging

from upflux_etl.indicators.compute import (
    compute_coverage,
    compute_indicator,
    create_macros,
    register_parameters,
)
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.warehouse.build import build_connection
from upflux_etl.warehouse.meta.indicators import (
    write_indicator_coverage,
    write_indicator_values,
)

log = logging.getLogger("upflux.pipeline")


def compute_indicator_step(ctx: LoadContext, name: str) -> int:
    """Compute one indicator on the run's build; returns how many values it produced."""
    spec = ctx.catalog.indicators[name]
    with build_connection(ctx) as con:
        create_macros(con, ctx.catalog.macros)
        register_parameters(con, ctx.client.triage)
        values = compute_indicator(con, spec)
        count = write_indicator_values(con, ctx.run_id, spec.name, spec.unit, values)
        write_indicator_coverage(con, ctx.run_id, spec.name, compute_coverage(con, spec))
        con.execute("checkpoint")
        log.info("indicator %s: %d values", name, count)
    return count
