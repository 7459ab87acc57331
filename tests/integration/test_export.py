"""The platform export: each publication writes what it changed, verified by its manifest."""

from __future__ import annotations

import json
import sqlite3

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from tests.support.demo import make_demo, materialize_client
from upflux_etl.catalog.reader import read_catalog, read_client
from upflux_etl.settings import Settings
from upflux_etl.warehouse.export import ExportInvalid, read_export
from upflux_etl.warehouse.files import WarehouseFiles

TOUCHED_AT = "2026-09-30 23:00:00"


def published_count(demo, dataset: str, load_id: str | None = None) -> int:
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        where = "" if load_id is None else f" where _load_id = '{load_id}'"
        return con.execute(f'select count(*) from main."{dataset}"{where}').fetchall()[0][0]
    finally:
        con.close()


def keep_loads(demo, settings, n: int):
    path = settings.clients_dir / "demo.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["export"] = {"keep_loads": n}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    demo.client = read_client(path, read_catalog(settings))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One demo hospital for the module; the tests run in order (full, incremental, tamper)."""
    tmp = tmp_path_factory.mktemp("export")
    (tmp / "clients").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UPFLUX_CLIENTS_DIR", str(tmp / "clients"))
        mp.setenv("UPFLUX_DATA_DIR", str(tmp / "data"))
        mp.setenv("UPFLUX_PSEUDONYM_KEY_DEMO", "export-key-" + "0" * 32)
        mp.delenv("UPFLUX_STATE_URL", raising=False)
        settings = Settings.from_env()
        demo = make_demo(settings, months=1, scale=0.1, beds=30)
        keep_loads(demo, settings, 2)
        instance = dg.DagsterInstance.ephemeral()
        full = materialize_client(demo, instance=instance)
        assert full.success
        yield demo, instance, full


def test_a_full_load_exports_every_published_row_with_a_verified_manifest(exported):
    demo, _, full = exported
    folder = WarehouseFiles(demo.settings.client_dir("demo")).export / full.run_id
    manifest = read_export(folder)
    assert manifest["load_id"] == full.run_id and manifest["mode"] == "full"
    assert manifest["client"] == "demo" and manifest["schema_version"] >= 2
    for dataset, entry in manifest["datasets"].items():
        assert entry["upserts"]["rows"] == published_count(demo, dataset), dataset
        table = pq.read_table(folder / entry["upserts"]["path"])
        assert table.num_rows == entry["upserts"]["rows"]
    assert set(manifest["datasets"]) >= {"patients", "encounters", "exams"}
    # Only pseudonyms leave: no clear CPF of the source is in the exported patients.
    patients = pq.read_table(folder / manifest["datasets"]["patients"]["upserts"]["path"])
    erp = sqlite3.connect(demo.settings.data_dir / "demo" / "erp.sqlite")
    try:
        clear = {r[0] for r in erp.execute("select nr_cpf from paciente").fetchall() if r[0]}
    finally:
        erp.close()
    assert clear and not clear & {str(v) for v in patients.column("cpf").to_pylist()}


def test_an_incremental_load_exports_only_what_it_changed_and_old_exports_are_pruned(exported):
    demo, instance, _ = exported
    erp = sqlite3.connect(demo.settings.data_dir / "demo" / "erp.sqlite")
    try:
        ids = [r[0] for r in erp.execute("select nr_pedido from pedido_exame limit 3").fetchall()]
        erp.execute(
            f"update pedido_exame set dt_atualizacao = ? where nr_pedido in ({','.join('?' * 3)})",
            [TOUCHED_AT, *ids],
        )
        erp.commit()
    finally:
        erp.close()
    incremental = materialize_client(demo, full=False, instance=instance)
    assert incremental.success
    root = WarehouseFiles(demo.settings.client_dir("demo")).export
    manifest = read_export(root / incremental.run_id)
    assert manifest["mode"] == "incremental"
    exams = manifest["datasets"]["exams"]["upserts"]
    assert exams["rows"] == published_count(demo, "exams", incremental.run_id) >= 3
    assert exams["rows"] < published_count(demo, "exams")
    exported_ids = pq.read_table(root / incremental.run_id / exams["path"])
    exported_ids = exported_ids.column("order_id").to_pylist()
    assert {str(i) for i in ids} <= set(exported_ids)

    third = materialize_client(demo, full=False, instance=instance)
    assert third.success
    # keep_loads: 2 — the full load's export is gone, the two newest remain.
    remaining = sorted(p.name for p in root.iterdir())
    assert remaining == sorted([incremental.run_id, third.run_id])


def test_a_tampered_or_missing_file_is_detected_before_reading(exported):
    demo, _, _ = exported
    root = WarehouseFiles(demo.settings.client_dir("demo")).export
    folder = max(root.iterdir(), key=lambda p: (p / "manifest.json").stat().st_mtime)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    target = folder / manifest["datasets"]["exams"]["upserts"]["path"]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ExportInvalid, match=r"exams/upserts\.parquet: differs from the manifest"):
        read_export(folder)
    target.unlink()
    with pytest.raises(ExportInvalid, match="missing"):
        read_export(folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(ExportInvalid, match=r"no manifest\.json"):
        read_export(folder)
