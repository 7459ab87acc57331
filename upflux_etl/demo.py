"""`upflux demo`: build the demo hospital's ERP and run its whole pipeline."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.demo_erp import generate
from upflux_etl.extract.urls import resolve_url
from upflux_etl.settings import Settings

log = logging.getLogger("upflux.demo")


def demo_end_date(client: ClientSpec) -> dt.date:
    """The demo's last simulated day: the client file's, else yesterday in the hospital's zone."""
    if client.demo and client.demo.end_date:
        return dt.date.fromisoformat(client.demo.end_date)
    return dt.datetime.now(client.zone).date() - dt.timedelta(days=1)


def build_demo_erp(settings: Settings, client: ClientSpec, *, force: bool = False) -> Path:
    """Generate the client's demo ERP (unless one with the same parameters exists); returns
    the folder with `ground_truth.json` and `defects.json`."""
    if client.demo is None:
        raise ValueError(f"{client.file}: no `demo:` section; only demo clients can be generated")
    out = settings.client_dir(client.slug) / "demo_erp"
    params = {**client.demo.model_dump(), "end_date": demo_end_date(client).isoformat()}
    stamp = out / "parameters.json"
    if not force and stamp.exists() and json.loads(stamp.read_text()) == params:
        log.info("demo ERP already generated with these parameters: %s", out)
        return out
    out.mkdir(parents=True, exist_ok=True)
    erp = resolve_url(client.sources["erp"], settings.data_dir, client.file)
    platform = resolve_url(client.sources["platform"], settings.data_dir, client.file)
    for url in (erp, platform):
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    result = generate(
        erp,
        platform,
        out,
        seed=client.demo.seed,
        beds=client.demo.beds,
        months=client.demo.months,
        end_date=demo_end_date(client),
        scale=client.demo.scale,
        schema=client.sources["erp"].schema_,
        progress=lambda step, fraction: log.debug("generating %s (%.0f%%)", step, 100 * fraction),
    )
    log.info("demo ERP generated in %.1f s: %s", result.seconds, erp.split("://")[0])
    stamp.write_text(json.dumps(params))
    return out
