"""The steps after the datasets: indicators on the build, then atomic publication."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from upflux_etl.indicators.compute import compute_indicator, load_macros
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.warehouse.build import open_build, publish
from upflux_etl.warehouse.files import connect

log = logging.getLogger("upflux.pipeline")


@dataclass(frozen=True)
class Publication:
    """What the publication step published."""

    version: str
    ledger: dict[str, dict]
    failed_blocking: list[str]


def compute_indicator_step(ctx: LoadContext, name: str) -> int:
    """Compute one indicator on the run's build; returns how many values it produced."""
    build = open_build(
        ctx.files, ctx.run_id, client=ctx.client.slug, timezone=ctx.client.timezone, mode=ctx.mode
    )
    con = connect(build, ctx.client.timezone)
    try:
        load_macros(con, ctx.catalog.root)
        count = compute_indicator(con, ctx.catalog.indicators[name], ctx.run_id)
        con.execute("checkpoint")
        log.info("indicator %s: %d values", name, count)
    finally:
        con.close()
    return count


def publish_step(ctx: LoadContext) -> Publication:
    """Publish the run's build as the hospital's warehouse (atomic rename)."""
    build = open_build(
        ctx.files, ctx.run_id, client=ctx.client.slug, timezone=ctx.client.timezone, mode=ctx.mode
    )
    con = connect(build, ctx.client.timezone)
    try:
        rows = con.execute(
            "select dataset, extracted, published, quarantined, held, duration_s from meta.ledger where load_id = ?",
            [ctx.run_id],
        ).fetchall()
        blocking = con.execute(
            "select dataset || '.' || check_name from meta.check_results "
            "where load_id = ? and blocking and not passed order by 1",
            [ctx.run_id],
        ).fetchall()
    finally:
        con.close()
    keys = ["extracted", "published", "quarantined", "held", "duration_s"]
    ledger = {r[0]: dict(zip(keys, r[1:], strict=False)) for r in rows}
    version = publish(ctx.files, ctx.run_id, ctx.client.timezone)
    log.info("%s: published %s (version %s)", ctx.client.slug, ctx.files.published, version[:8])
    return Publication(version, ledger, [b[0] for b in blocking])
