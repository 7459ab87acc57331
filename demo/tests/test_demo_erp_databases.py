"""The demo ERP generated into the real PostgreSQL and MariaDB servers, read back through the
Hospitalis and UpFlux platform profiles (transpiled to each dialect)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import make_url

from hospitalis_demo import generate
from tests.dbservers import mariadb_url, postgres_url
from upflux_etl.extract.source_catalog import column_sources
from upflux_etl.extract.sql import translate  # binds the queries' :changed_since (null: whole)

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"seed": 5, "beds": 40, "months": 2, "scale": 0.2, "end_date": date(2026, 8, 31)}


def _profile_queries() -> list[tuple[str, str, str]]:
    """(profile, dataset, sql) for every standard query."""
    out = []
    for profile in ("hospitalis", "upflux_platform"):
        folder = ROOT / "connectors" / profile
        spec = yaml.safe_load((folder / "profile.yaml").read_text())
        out += [(profile, ds, (folder / f).read_text()) for ds, f in spec["datasets"].items()]
    return out


def _check_queries(engine: sa.Engine, dialect: str, out_dir: Path) -> None:
    manifest = json.loads((out_dir / "defects.json").read_text())
    canonical = yaml.safe_load((ROOT / "connectors" / "canonical.yaml").read_text())["datasets"]
    assert "garbage_timestamp" not in {d["defect"] for d in manifest["defects"]}
    seen = set()
    with engine.connect() as conn:
        for _profile, dataset, sql in _profile_queries():
            # text(): the driver layer escapes the '%' of DATE_FORMAT for pymysql.
            result = conn.execute(sa.text(translate(sql, "postgres", dialect)))
            assert list(result.keys()) == list(canonical[dataset]["columns"]), dataset
            rows = result.fetchall()
            assert len(rows) == manifest["row_counts"][dataset], dataset
            seen.add(dataset)
    assert seen == set(canonical)
    _check_incremental_indexes(engine, dialect)


# (table, first column) of every index: the columns a "changed since" range filter can use.
_LEADING = {
    "postgres": "select t.relname, a.attname from pg_index as i "
    "join pg_class as t on t.oid = i.indrelid "
    "join pg_attribute as a on a.attrelid = t.oid and a.attnum = i.indkey[0] "
    "where t.relnamespace = current_schema()::regnamespace",
    "mysql": "select table_name, column_name from information_schema.statistics "
    "where table_schema = database() and seq_in_index = 1",
}


def _check_incremental_indexes(engine: sa.Engine, dialect: str) -> None:
    """Like a real ERP: an index leads with every column an incremental load filters on."""
    canonical = yaml.safe_load((ROOT / "connectors" / "canonical.yaml").read_text())["datasets"]
    with engine.connect() as conn:
        leading = {(str(t), str(c)) for t, c in conn.exec_driver_sql(_LEADING[dialect])}
    wanted = set()
    for _profile, dataset, sql in _profile_queries():
        behind = column_sources(sql, "postgres", canonical[dataset]["incremental_column"])
        assert behind, dataset  # the profile's incremental column is traced to the ERP
        wanted |= behind
    assert ("pedido_exame", "dt_atualizacao") in wanted
    assert ("usage_daily", "usage_day") in wanted
    assert not wanted - leading, sorted(wanted - leading)


@pytest.mark.postgres
def test_postgres_schema(tmp_path):
    url = postgres_url()
    schema = f"demo_erp_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    try:
        generate(url, url, tmp_path, schema=schema, **SMALL)
        engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        try:
            _check_queries(engine, "postgres", tmp_path)
            with engine.connect() as conn:
                kind = conn.execute(
                    sa.text(
                        "select data_type from information_schema.columns where table_schema = :s "
                        "and table_name = 'atendimento' and column_name = 'dt_entrada'"
                    ),
                    {"s": schema},
                ).scalar_one()
            assert kind == "timestamp without time zone"
        finally:
            engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'drop schema if exists "{schema}" cascade')
        admin.dispose()


@pytest.mark.mariadb
def test_mariadb_database(tmp_path):
    url = mariadb_url()
    database = f"demo_erp_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    try:
        generate(url, url, tmp_path, schema=database, **SMALL)
        engine = sa.create_engine(make_url(url).set(database=database))
        try:
            _check_queries(engine, "mysql", tmp_path)
        finally:
            engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"drop database if exists `{database}`")
        admin.dispose()


@pytest.mark.postgres
def test_same_inputs_same_rows_on_postgres_and_sqlite(tmp_path):
    """The backend does not change the data: row counts and truth match SQLite's."""
    url = postgres_url()
    schema = f"demo_erp_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    try:
        pg = generate(url, url, tmp_path / "pg", schema=schema, **SMALL)
        lite = generate(
            f"sqlite:///{tmp_path / 'lite' / 'erp.sqlite'}",
            f"sqlite:///{tmp_path / 'lite' / 'platform.sqlite'}",
            tmp_path / "lite",
            **SMALL,
        )
        assert pg.ground_truth_path.read_bytes() == lite.ground_truth_path.read_bytes()
        garbage = next(
            d["count"]
            for d in json.loads(lite.defects_path.read_text())["defects"]
            if d["defect"] == "garbage_timestamp"
        )
        assert lite.row_counts["encounters"] - pg.row_counts["encounters"] == garbage
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'drop schema if exists "{schema}" cascade')
        admin.dispose()
