"""What every asset of a hospital derives from its Dagster run.

The run tags, the load context (one run = one load) and the hospital's concurrency pool.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.pipeline.history import HistoryWindow
from upflux_etl.settings import Settings

FULL_TAG = "upflux/full"
# A full reload that rotates the pseudonymisation key (pipeline/keys.py).
ROTATE_KEY_TAG = "upflux/rotate_key"
# One period of a historical load (`upflux run --history`): its window, as JSON.
HISTORY_TAG = "upflux/history"


def load_context_of(
    context: dg.AssetExecutionContext, settings: Settings, catalog: Catalog, client: ClientSpec
) -> LoadContext:
    """The load this Dagster run is (one run = one load, its id the run id)."""
    full = context.run.tags.get(FULL_TAG, "false").lower() == "true"
    rotate = context.run.tags.get(ROTATE_KEY_TAG, "false").lower() == "true"
    window = context.run.tags.get(HISTORY_TAG)
    return LoadContext(
        settings,
        catalog,
        client,
        context.run_id,
        full,
        dt.datetime.now(dt.UTC),
        rotate_key=rotate,
        history=HistoryWindow.from_tag(window) if window else None,
    )


def pool(client_slug: str) -> str:
    """The Dagster concurrency pool of a hospital: one run per hospital at a time.

    Run-level pool granularity, set in the instance's dagster.yaml, whoever launches it.
    """
    return f"upflux_{client_slug}"
