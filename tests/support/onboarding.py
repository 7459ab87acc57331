"""Clients written by a test (profile-free, canonical views, Synthea) and their whole graph."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from tests.support.demo import client_key_of, key_env_of
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import read_catalog, read_client
from upflux_etl.definitions.dagster_run import FULL_TAG
from upflux_etl.definitions.factories import client_assets
from upflux_etl.settings import Settings


def _own_key(data: dict, stem: str) -> dict:
    """The client names its own key variable (one per client), set here when unset."""
    data["pseudonymisation"] = {"key_env": key_env_of(stem)}
    os.environ.setdefault(key_env_of(stem), client_key_of(stem))
    return data


def copy_client(settings: Settings, source: Path, stem: str, **source_fields) -> Path:
    """A copy of client file `source` (and its queries/ folder) in the settings' clients
    folder, with `source_fields` set on every source (e.g. the throw-away schema) and the
    copy's own key variable."""
    data = _own_key(yaml.safe_load(source.read_text(encoding="utf-8")), stem)
    for spec in data["sources"].values():
        spec.update(source_fields)
    if (source.parent / "queries").is_dir():
        shutil.copytree(
            source.parent / "queries", settings.clients_dir / "queries", dirs_exist_ok=True
        )
    path = settings.clients_dir / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_client(settings: Settings, stem: str, data: dict) -> Path:
    """A client file from a dict (with its own key variable unless the dict names one)."""
    if "pseudonymisation" not in data:
        data = _own_key(dict(data), stem)
    path = settings.clients_dir / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_client(settings: Settings, path: Path) -> tuple[ClientSpec, dg.ExecuteInProcessResult]:
    """Read the client file and materialize its whole graph in this process (a full load)."""
    catalog = read_catalog(settings)
    client = read_client(path, catalog)
    result = dg.materialize(
        client_assets(client, catalog, settings),
        instance=dg.DagsterInstance.ephemeral(),
        tags={FULL_TAG: "true"},
        raise_on_error=False,
    )
    return client, result


def warehouse_rows(settings: Settings, client: ClientSpec, sql: str, params=None) -> list[tuple]:
    """Rows of a query on the client's published warehouse."""
    path = settings.client_dir(client.slug) / "warehouse.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("set TimeZone = ?", [client.timezone])
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def ledger(settings: Settings, client: ClientSpec, load_id: str) -> dict[str, tuple]:
    """Dataset -> (extracted, published, quarantined, held) of one load."""
    rows = warehouse_rows(
        settings,
        client,
        "select dataset, extracted, published, quarantined, held from meta.ledger "
        "where load_id = ?",
        [load_id],
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def report_html(settings: Settings, client: ClientSpec) -> str:
    """The text of the client's only quality report."""
    reports = sorted((settings.client_dir(client.slug) / "reports").glob("qualidade-*.html"))
    assert len(reports) == 1, reports
    return reports[0].read_text(encoding="utf-8")
