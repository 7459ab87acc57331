"""Reconciliation with the source and deleted rows, on a demo ERP in a real PostgreSQL schema.

A row inserted at the source with an old update time (an incremental window cannot see it) and
a row deleted at the source each fail the `source_reconciled` check with both numbers; with
delete detection on, the deleted row becomes a tombstone and leaves the published dataset; on
a `every: 7 days` schedule the next load does not compare keys again; a full load reconciles.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
import yaml

from tests.dbservers import postgres_url
from tests.integration.test_demo_pipeline import load_rows
from tests.support.databases import admin, database_demo, unique_name
from tests.support.demo import DemoClient, materialize_client
from upflux_etl.catalog.reader import read_catalog, read_client
from upflux_etl.settings import Settings
from upflux_etl.status import read_status
from upflux_etl.warehouse.export import read_export

DEMO = {"beds": 40, "months": 2, "scale": 0.2, "end_date": "2026-09-30"}
OLD = "2020-01-01 00:00:00"  # before any watermark: only a full load reads it


@pytest.fixture
def erp(tmp_path, monkeypatch):
    (tmp_path / "clients").mkdir()
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(tmp_path / "clients"))
    monkeypatch.setenv("UPFLUX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY", "reconcile-key-" + "0" * 32)
    settings = Settings.from_env()
    url, schema = postgres_url(), unique_name("upflux_recon")
    try:
        yield url, schema, database_demo(settings, "recon", schema=schema, url=url, **DEMO)
    finally:
        admin(url, f'drop schema if exists "{schema}" cascade')


def configure(demo: DemoClient, **sections) -> DemoClient:
    """The client with `sections` set in its file (read again, as a load would)."""
    path = Path(demo.client.file)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(sections)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    client = read_client(path, read_catalog(demo.settings))
    return DemoClient(demo.settings, client, demo.erp_dir)


def reconciliation(demo: DemoClient, load_id: str) -> dict[str, dict]:
    rows = load_rows(
        demo,
        "select dataset, source_count, source_excluded, warehouse_count, tombstoned, "
        "deletes_scanned, matched from meta.reconciliation where load_id = ?",
        [load_id],
    )
    keys = ("source", "excluded", "warehouse", "tombstoned", "scanned", "matched")
    return {r[0]: dict(zip(keys, r[1:], strict=True)) for r in rows}


def check(demo: DemoClient, load_id: str, dataset: str) -> tuple:
    rows = load_rows(
        demo,
        "select passed, failing_count, element_count, description from meta.check_results "
        "where load_id = ? and dataset = ? and check_name = 'source_reconciled'",
        [load_id, dataset],
    )
    assert len(rows) == 1, rows
    return rows[0]


def load(demo: DemoClient, instance: dg.DagsterInstance, *, full: bool) -> str:
    result = materialize_client(demo, full=full, instance=instance)
    assert result.success
    return result.run_id


def test_source_counts_fail_the_check_and_deleted_rows_become_tombstones(erp):
    url, schema, demo = erp
    demo = configure(demo, deletes={"enabled": False})
    instance = dg.DagsterInstance.ephemeral()

    first = load(demo, instance, full=True)
    figures = reconciliation(demo, first)
    assert set(figures) == set(demo.defects["row_counts"])
    for dataset, f in figures.items():
        assert f["matched"] and f["source"] == f["warehouse"], (dataset, f)
        assert check(demo, first, dataset)[0], dataset

    # At the source: a patient typed in with an old update time, and an exam order deleted.
    table = f'"{schema}"'
    patient = admin(url, f"select max(cd_paciente) from {table}.paciente")[0][0][0]
    admin(
        url,
        f"insert into {table}.paciente (cd_paciente, nr_prontuario, nm_paciente, dt_nascimento, "
        f"ie_sexo, dt_cadastro, dt_atualizacao) values ({patient + 1}, {patient + 900000}, "
        f"'PACIENTE TARDIO', '1980-05-01', 'F', '{OLD}', '{OLD}')",
    )
    (order,) = load_rows(demo, "select max(order_id) from main.exams")[0]
    admin(url, f"delete from {table}.pedido_exame where nr_pedido = {int(order)}")

    second = load(demo, instance, full=False)
    figures = reconciliation(demo, second)
    patients, exams = figures["patients"], figures["exams"]
    assert (patients["source"], patients["warehouse"]) == (
        figures_of(first, demo)["patients"]["source"] + 1,
        figures_of(first, demo)["patients"]["warehouse"],
    )
    assert exams["source"] == exams["warehouse"] - 1 and not exams["scanned"]
    for dataset, f in (("patients", patients), ("exams", exams)):
        passed, failing, expected, description = check(demo, second, dataset)
        assert not passed and not f["matched"] and failing == 1 and expected == f["source"]
        # both numbers, as hospital IT reads them (pt-BR thousands separator)
        assert f"origem {f['source']:,}".replace(",", ".") in description, description
        assert f"warehouse {f['warehouse']:,}".replace(",", ".") in description, description
    others = {d for d, f in figures.items() if not f["matched"]}
    assert others == {"patients", "exams"}

    status = read_status(demo.settings, demo.client, read_catalog(demo.settings))
    shown = status["datasets"]["exams"]["reconciliation"]
    assert (shown["source_count"], shown["warehouse_count"], shown["matched"]) == (
        exams["source"],
        exams["warehouse"],
        False,
    )
    assert any(
        c["dataset"] == "patients" and c["name"] == "source_reconciled" and not c["passed"]
        for c in status["checks"]
    )
    assert "Conciliação com a origem" in Path(status["report"]["path"]).read_text("utf-8")

    # Delete detection on: the deleted order becomes a tombstone and leaves the dataset.
    demo = configure(demo, deletes={"every": "load"})
    third = load(demo, instance, full=False)
    figures = reconciliation(demo, third)
    assert figures["exams"]["scanned"] and figures["exams"]["tombstoned"] == 1
    assert figures["exams"]["matched"] and check(demo, third, "exams")[0]
    assert not figures["patients"]["matched"]  # the old-stamped row is still unseen
    tombstones = load_rows(demo, "select dataset, key, load_id from meta.tombstones")
    assert tombstones == [("exams", json.dumps({"order_id": order}, separators=(",", ":")), third)]
    assert load_rows(demo, "select count(*) from main.exams where order_id = ?", [order]) == [(0,)]
    # the platform export of that load carries the tombstone
    manifest = read_export(demo.settings.client_dir(demo.client.slug) / "export" / third)
    assert manifest["datasets"]["exams"]["tombstones"]["rows"] == 1
    assert load_rows(demo, "select count(*) from quarantine.exams where order_id = ?", [order]) == [
        (0,)
    ]

    # Weekly comparison: the next load does not compare keys again, so a new delete shows.
    demo = configure(demo, deletes={"every": "7 days"})
    (order2,) = load_rows(demo, "select max(order_id) from main.exams")[0]
    admin(url, f"delete from {table}.pedido_exame where nr_pedido = {int(order2)}")
    fourth = load(demo, instance, full=False)
    figures = reconciliation(demo, fourth)
    assert not figures["exams"]["scanned"] and not figures["exams"]["matched"]
    assert figures["exams"]["warehouse"] == figures["exams"]["source"] + 1

    # A full load reads everything again and compares with what it staged.
    fifth = load(demo, instance, full=True)
    figures = reconciliation(demo, fifth)
    assert all(f["matched"] for f in figures.values()), figures
    assert figures["exams"]["tombstoned"] == 1
    assert load_rows(demo, "select count(*) from meta.tombstones") == [(2,)]


def figures_of(load_id: str, demo: DemoClient) -> dict[str, dict]:
    return reconciliation(demo, load_id)


def delete_scans(demo: DemoClient, load_id: str) -> dict[str, tuple]:
    rows = load_rows(
        demo,
        "select dataset, compared, tombstoned from meta.delete_scans where load_id = ?",
        [load_id],
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def test_between_comparisons_of_every_key_the_buckets_that_differ_find_the_deleted_rows(erp):
    """After a comparison of every key, an incremental load counts rows per bucket of the key
    (its last characters) at the source and in the build, and reads only the differing
    buckets' keys: the deleted rows become tombstones as with every key, the others stay."""
    url, schema, demo = erp
    instance = dg.DagsterInstance.ephemeral()
    first = load(demo, instance, full=True)
    assert {c for c, _ in delete_scans(demo, first).values()} == {"keys"}

    table = f'"{schema}"'
    orders = [r[0] for r in load_rows(demo, "select order_id from main.exams order by 1 limit 2")]
    assert orders[0][-3:] != orders[1][-3:]  # two buckets
    admin(url, f"delete from {table}.pedido_exame where nr_pedido in ({', '.join(orders)})")
    second = load(demo, instance, full=False)
    scans = delete_scans(demo, second)
    assert scans["exams"] == ("buckets", 2)
    assert scans["patients"] == scans["er_visits"] == ("buckets", 0)
    assert scans["beds"] == ("keys", 0)  # a key of two columns: every key
    figures = reconciliation(demo, second)
    assert all(f["matched"] for f in figures.values()), figures
    gone = load_rows(demo, "select key from meta.tombstones where dataset = 'exams' order by key")
    assert [json.loads(k)["order_id"] for (k,) in gone] == sorted(orders)
    assert load_rows(
        demo, f"select count(*) from main.exams where order_id in ('{orders[0]}', '{orders[1]}')"
    ) == [(0,)]

    # `every_key: load` compares every key on every load.
    demo = configure(demo, deletes={"every": "load", "every_key": "load"})
    third = load(demo, instance, full=False)
    assert {c for c, _ in delete_scans(demo, third).values()} == {"keys"}
    assert all(f["matched"] for f in reconciliation(demo, third).values())


def test_a_key_the_buckets_miss_is_asked_for_by_value_before_it_becomes_a_tombstone(
    erp, monkeypatch
):
    """A held key the source places in another bucket than DuckDB does is not deleted: the
    candidates are asked for by value first. Here the source is made to answer no key for the
    differing bucket, so every held key of that bucket is a candidate; only the deleted one
    becomes a tombstone."""
    from upflux_etl.extract import sql as sql_module
    from upflux_etl.pipeline import deletes as deletes_module

    url, schema, demo = erp
    instance = dg.DagsterInstance.ephemeral()
    load(demo, instance, full=True)
    real = sql_module.bucket_keys_query

    def no_keys(sql, read, column, width, buckets, write):  # the source finds none of them
        return real(sql, read, column, width, ("no such bucket",), write)

    monkeypatch.setattr(deletes_module, "bucket_keys_query", no_keys)
    (order,) = load_rows(demo, "select max(order_id) from main.exams")[0]
    admin(url, f'delete from "{schema}".pedido_exame where nr_pedido = {int(order)}')
    second = load(demo, instance, full=False)
    assert delete_scans(demo, second)["exams"] == ("buckets", 1)
    assert load_rows(demo, "select key from meta.tombstones") == [
        (json.dumps({"order_id": order}, separators=(",", ":")),)
    ]
    assert all(f["matched"] for f in reconciliation(demo, second).values())
