"""A warehouse written by an earlier version opens, migrates forward and keeps loading.

`tests/fixtures/warehouse_v1.duckdb.gz` was published by the code of commit 541f13c (schema
version 1, before the version was recorded); it stands for the warehouses hospitals have.
`warehouse_v5.duckdb.gz` was published by commit 15048cf (schema 5, the last with the scratch
schemas `landing` and `staging` inside the warehouse). `warehouse_v7.duckdb.gz` was published by
commit dfaee84 (schema 7, the last whose datasets were tables inside the warehouse file).
"""

from __future__ import annotations

import gzip
import shutil
import tarfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.support.demo import make_demo, materialize_client
from upflux_etl.catalog.reader import read_catalog
from upflux_etl.status import read_status
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.schema import SCHEMA_VERSION, WarehouseTooNew, ensure_schema

FIXTURE = Path(__file__).parents[1] / "fixtures" / "warehouse_v1.duckdb.gz"
# The parameters the fixture was built with (tests/fixtures/README.md).
FIXTURE_DEMO = {"beds": 20, "months": 1, "scale": 0.05}
FIXTURE_KEY = "fixture-key-" + "0" * 32


FIXTURE_V5 = FIXTURE.with_name("warehouse_v5.duckdb.gz")
FIXTURE_V7 = FIXTURE.with_name("warehouse_v7.duckdb.gz")
FIXTURE_V8 = FIXTURE.with_name("warehouse_v8.tar.gz")


def unpack(target: Path, fixture: Path = FIXTURE) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(fixture) as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


def load_and_migrate(demo, published: Path, version: int) -> None:
    """An incremental load on the unpacked warehouse of `version`: it migrates it forward."""
    result = materialize_client(demo, full=False, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert version_of(published) == [version, SCHEMA_VERSION]


def version_of(path: Path) -> list[int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("select version from meta.schema_version").fetchall()]
    finally:
        con.close()


def test_a_version_1_warehouse_is_read_migrated_and_loaded_on(settings, monkeypatch):
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY_DEMO", FIXTURE_KEY)  # the demo client's variable
    demo = make_demo(settings, **FIXTURE_DEMO)
    published = unpack(demo.warehouse)
    catalog = read_catalog(settings)

    # Readers open it as it is (read-only, never migrated in place).
    before = read_status(settings, demo.client, catalog)
    assert before["load"]["status"] == "published"
    assert before["indicator_completeness"] and all(
        c["coverage"] is None for c in before["indicator_completeness"]
    )  # version 1 kept no coverage: shown as unknown, not as an error
    # version 1 kept no status: derived from passed/error
    assert {c["status"] for c in before["checks"]} <= {"passed", "failed", "error"}

    # An incremental load on top: its build migrates the copy, publication makes it current.
    result = materialize_client(demo, full=False, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert version_of(published) == [SCHEMA_VERSION]
    after = read_status(settings, demo.client, catalog)
    assert after["load"]["load_id"] != before["load"]["load_id"]
    assert after["load"]["mode"] == "incremental"
    assert all(row["balanced"] for row in after["datasets"].values())
    statuses = {c["status"] for c in after["checks"]}
    assert statuses <= {"passed", "failed", "not_applicable", "error"} and "passed" in statuses
    # The history of version 1 is still there.
    con = duckdb.connect(str(published), read_only=True)
    try:
        loads = [r[0] for r in con.execute("select load_id from meta.loads").fetchall()]
    finally:
        con.close()
    assert before["load"]["load_id"] in loads
    # Its quarantine (today's shape then) is brought forward: every record still open, first
    # seen on the version-1 load (issue 7).
    assert before["datasets"]["encounters"]["quarantine_open"] > 0
    for dataset, row in before["datasets"].items():
        assert after["datasets"][dataset]["quarantine_open"] == row["quarantine_open"], dataset
    con = duckdb.connect(str(published), read_only=True)
    try:
        first = con.execute(
            "select distinct _first_seen_load from quarantine.encounters"
        ).fetchall()
        # Version 4: meta.history (the periods of a historical load), empty on a nightly.
        history = con.execute("select count(*) from meta.history").fetchall()
    finally:
        con.close()
    assert first == [(before["load"]["load_id"],)]
    assert history == [(0,)]


def test_a_version_5_warehouse_loses_its_scratch_schemas_and_keeps_loading(settings, monkeypatch):
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY_DEMO", FIXTURE_KEY)
    demo = make_demo(settings, **FIXTURE_DEMO)
    published = unpack(demo.warehouse, FIXTURE_V5)
    catalog = read_catalog(settings)
    assert version_of(published) == [5]
    assert {"landing", "staging"} <= _schemas(published)
    before = read_status(settings, demo.client, catalog)
    assert before["load"]["status"] == "published"

    load_and_migrate(demo, published, 5)
    assert not {"landing", "staging"} & _schemas(published)  # scratch lives in warehouse/work.py
    after = read_status(settings, demo.client, catalog)
    assert after["load"]["mode"] == "incremental"
    assert all(row["balanced"] for row in after["datasets"].values())
    for dataset, row in before["datasets"].items():
        assert after["datasets"][dataset]["quarantine_open"] == row["quarantine_open"], dataset


def test_a_version_7_warehouse_moves_its_datasets_into_parts(settings, monkeypatch):
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY_DEMO", FIXTURE_KEY)
    demo = make_demo(settings, **FIXTURE_DEMO)
    published = unpack(demo.warehouse, FIXTURE_V7)
    assert version_of(published) == [7]
    con = duckdb.connect(str(published), read_only=True)
    try:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main' order by 1"
        ).fetchall()
        counts = {t: con.execute(f'select count(*) from main."{t}"').fetchall() for (t,) in tables}
    finally:
        con.close()
    assert len(tables) >= 10

    load_and_migrate(demo, published, 7)
    con = duckdb.connect(str(published), read_only=True)
    try:
        left = con.execute("select count(*) from duckdb_tables() where schema_name = 'main'")
        assert left.fetchall() == [(0,)]  # every dataset is a view over its parts now
        after = {t: con.execute(f'select count(*) from main."{t}"').fetchall() for t in counts}
        named = {r[0] for r in con.execute("select distinct dataset from meta.parts").fetchall()}
    finally:
        con.close()
    assert after == counts  # the same source: the same rows, moved, none lost
    assert named == {t for t, n in counts.items() if n != [(0,)]}
    assert (demo.warehouse.parent / "tables").is_dir()


def test_a_version_8_warehouse_records_its_removed_rows_by_position(settings, monkeypatch):
    """Its parts stay; the rows it removed by key (a full load, then an incremental one that
    replaced encounters and exams) are removed by position, and every dataset reads the same."""
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY_DEMO", FIXTURE_KEY)
    demo = make_demo(settings, **FIXTURE_DEMO)
    folder = demo.warehouse.parent
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(FIXTURE_V8) as tar:
        tar.extractall(folder, filter="data")
    published = demo.warehouse
    assert version_of(published) == [8]
    con = duckdb.connect(str(published), read_only=True)
    try:
        removed = ("encounters", "exams")  # the datasets the incremental load replaced rows of
        by_key = {t: _columns(con, "removed", t) for t in removed}
        datasets = [r[0] for r in con.execute("select distinct dataset from meta.parts").fetchall()]
        counts = {d: parts.count_rows(con, d) for d in datasets}  # the catalog's own count
    finally:
        con.close()
    assert all(c != ["_part", "_row"] and "_part" in c for c in by_key.values())
    assert len(datasets) >= 10

    load_and_migrate(demo, published, 8)
    con = duckdb.connect(str(published), read_only=True)
    try:
        after = {
            d: con.execute(f'select count(*) from main."{d}"').fetchall()[0][0] for d in counts
        }
        positions = {t: _columns(con, "removed", t) for t in removed}
        gone = con.execute("select count(*) from removed.encounters").fetchall()[0][0]
    finally:
        con.close()
    assert after == counts  # the same source: the same rows, none back, none lost
    assert positions == {t: ["_part", "_row"] for t in removed}
    assert gone > 0  # the incremental's replaced encounters stay removed, now by position


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
            "order by column_index",
            [schema, table],
        ).fetchall()
    ]


def _schemas(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select schema_name from duckdb_schemas() where database_name = current_database()"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def test_a_warehouse_from_a_newer_version_is_refused(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        ensure_schema(con)
        con.execute("insert into meta.schema_version values (?, current_timestamp)", [99])
        with pytest.raises(WarehouseTooNew, match="schema version 99"):
            ensure_schema(con)
    finally:
        con.close()
