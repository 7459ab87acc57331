"""The steps after the datasets: indicators on the build, then atomic publication."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from upflux_etl.indicators.compute import compute_indicator, create_macros
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.warehouse.build import open_build, publish
from upflux_etl.warehouse.files import connect
from upflux_etl.warehouse.meta import read_checks, read_ledger

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
        create_macros(con, ctx.catalog.macros)
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
        ledger = read_ledger(con, ctx.run_id)
        blocking = [
            f"{c['dataset']}.{c['name']}"
            for c in read_checks(con, ctx.run_id)
            if c["blocking"] and not c["passed"]
        ]
    finally:
        con.close()
    version = publish(ctx.files, ctx.run_id, ctx.client.timezone)
    log.info("%s: published %s (version %s)", ctx.client.slug, ctx.files.published, version[:8])
    return Publication(version, ledger, blocking)
