"""Build a demo client (a small one unless asked) in a temporary data folder."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import yaml

from upflux_etl.catalog.models import ClientSpec, slugify
from upflux_etl.catalog.reader import read_catalog, read_client
from upflux_etl.definitions.dagster_run import FULL_TAG
from upflux_etl.definitions.factories import client_assets
from upflux_etl.demo import build_demo_erp
from upflux_etl.settings import Settings, project_root

SMALL = {"beds": 60, "months": 3, "scale": 0.3, "end_date": "2026-09-30"}


@dataclass
class DemoClient:
    settings: Settings
    client: ClientSpec
    erp_dir: Path

    @property
    def truth(self) -> dict:
        return json.loads((self.erp_dir / "ground_truth.json").read_text())

    @property
    def defects(self) -> dict:
        return json.loads((self.erp_dir / "defects.json").read_text())

    @property
    def warehouse(self) -> Path:
        return self.settings.client_dir(self.client.slug) / "warehouse.duckdb"


def key_env_of(stem: str) -> str:
    """The pseudonymisation key variable a test client names (one per client, as in production)."""
    return "UPFLUX_PSEUDONYM_KEY_" + slugify(stem).upper()


def client_key_of(stem: str) -> str:
    """A test client's own key: fixed per client, different between clients."""
    return f"test-key-{slugify(stem)}-" + "0" * 32


def client_keys(clients_dir: Path) -> dict[str, str]:
    """Variable -> key of every client file in `clients_dir` (for a subprocess's environment)."""
    return {key_env_of(path.stem): client_key_of(path.stem) for path in clients_dir.glob("*.yaml")}


def write_demo_client(clients_dir: Path, stem: str = "demo", **demo) -> Path:
    """A copy of clients/demo.yaml with its own ERP files, demo parameters and key variable.

    The key variable is set in this process's environment when unset (`client_key_of`), so a
    test that loads the client has its key; a test about a missing key deletes it.
    """
    data = yaml.safe_load((project_root() / "clients" / "demo.yaml").read_text(encoding="utf-8"))
    data["demo"] = {**data.get("demo", {}), **SMALL, **demo}
    data["pseudonymisation"] = {"key_env": key_env_of(stem)}
    os.environ.setdefault(key_env_of(stem), client_key_of(stem))
    for source in data["sources"].values():
        if "url" in source:
            source["url"] = source["url"].replace("/demo/", f"/{stem}/")
    path = clients_dir / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def make_demo(settings: Settings, stem: str = "demo", **demo) -> DemoClient:
    path = write_demo_client(settings.clients_dir, stem, **demo)
    client = read_client(path, read_catalog(settings))
    return DemoClient(settings, client, build_demo_erp(settings, client))


def materialize_client(
    demo: DemoClient, *, full: bool = True, instance: dg.DagsterInstance | None = None
):
    """Materialize every asset of the client in this process."""
    catalog = read_catalog(demo.settings)
    assets = client_assets(demo.client, catalog, demo.settings)
    return dg.materialize(
        assets,
        instance=instance or dg.DagsterInstance.ephemeral(),
        tags={FULL_TAG: str(full).lower()},
        raise_on_error=False,
    )
