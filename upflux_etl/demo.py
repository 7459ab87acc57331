"""`upflux demo` and `upflux demo-erp`: the product's one adapter to the demo ERP generator.

The generator is a package of its own (`hospitalis_demo`, installed from `demo/` by
scripts/setup.sh) so that the truth the tests trust is computed without the product's code.
It is imported only inside these functions: importing the product never imports the demo.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
from pathlib import Path
from types import ModuleType

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.extract.urls import resolve_url
from upflux_etl.settings import Settings

log = logging.getLogger("upflux.demo")

DEMO_PACKAGE = "hospitalis_demo"


class DemoNotInstalledError(ImportError):
    """The demo ERP generator (package `hospitalis_demo`) is not installed."""


def demo_module(name: str = DEMO_PACKAGE) -> ModuleType:
    """Import a module of the demo package, or explain how to install it.

    Args:
        name: `hospitalis_demo` or one of its modules, e.g. `hospitalis_demo.__main__`.

    Returns:
        The imported module.

    Raises:
        DemoNotInstalledError: the demo package is not installed in this environment.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only the package itself missing is "not installed"; a missing dependency of an
        # installed demo (numpy, ...) keeps its own message.
        if exc.name != DEMO_PACKAGE:
            raise
        raise DemoNotInstalledError(
            f"the demo ERP generator (package {DEMO_PACKAGE}) is not installed; "
            "install it with `scripts/setup.sh` or `uv pip install --no-deps -e demo`"
        ) from None


def generate_demo_erp(argv: list[str], prog: str = "upflux demo-erp") -> int:
    """Run the generator's own command line (`python -m hospitalis_demo`) with `argv`.

    Args:
        argv: its arguments, e.g. `["--out", "/tmp/demo", "--months", "1"]`.
        prog: the command name its usage and errors show.

    Returns:
        Its exit code.
    """
    return demo_module(f"{DEMO_PACKAGE}.__main__").main(argv, prog=prog)


def demo_end_date(client: ClientSpec) -> dt.date:
    """The demo's last simulated day: the client file's, else yesterday in the hospital's zone."""
    if client.demo and client.demo.end_date:
        return dt.date.fromisoformat(client.demo.end_date)
    return dt.datetime.now(client.zone).date() - dt.timedelta(days=1)


def build_demo_erp(settings: Settings, client: ClientSpec, *, force: bool = False) -> Path:
    """Generate the client's demo ERP (unless one with the same parameters exists).

    Returns:
        The folder with `ground_truth.json` and `defects.json`.
    """
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
    result = demo_module().generate(
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
