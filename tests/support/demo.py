"""Build a demo client (a small one unless asked) in a temporary data folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import yaml

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import read_catalog, read_client
from upflux_etl.definitions.context import FULL_TAG
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


def write_demo_client(clients_dir: Path, stem: str = "demo", **demo) -> Path:
    """A copy of clients/demo.yaml with its own ERP files and demo parameters."""
    data = yaml.safe_load((project_root() / "clients" / "demo.yaml").read_text(encoding="utf-8"))
    data["demo"] = {**data.get("demo", {}), **SMALL, **demo}
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
