"""Pure pieces of the reconciliation, deletes and exclusion list: SQL, settings, DuckDB steps."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pydantic
import pytest
import sqlglot

from tests.unit.test_state_support import ledger, make_run, utc
from upflux_etl.catalog.models import DatasetSpec, DeletesSpec, PrivacySpec
from upflux_etl.extract.sql import (
    bucket_counts_query,
    bucket_keys_query,
    count_query,
    keys_query,
    values_query,
)
from upflux_etl.quality.reconciliation import reconciliation_outcome
from upflux_etl.warehouse.deletes import apply_deletes, missing_keys
from upflux_etl.warehouse.holdings import holdings
from upflux_etl.warehouse.meta.reconciliation import (
    Reconciliation,
    read_reconciliation,
    write_reconciliation,
)
from upflux_etl.warehouse.meta.tombstones import read_tombstones
from upflux_etl.warehouse.schema import ensure_schema

QUERY = "with a as (select x as room_id, y as valid_from, z as patient_key from t) select * from a"
SPEC = DatasetSpec(
    name="rooms",
    description="",
    primary_key=["room_id", "valid_from"],
    incremental_column="valid_from",
    columns={"room_id": {"type": "string"}, "valid_from": {"type": "date"}},
)


@pytest.mark.parametrize("write", ["postgres", "mysql", "sqlite", "tsql", "oracle", "duckdb"])
def test_count_and_keys_queries_read_the_whole_query_in_every_dialect(write):
    counted = count_query(QUERY, "postgres", write, ("patient_key", ("1", "2")))
    keys = keys_query(QUERY, "postgres", ["room_id", "valid_from"], write)
    values = values_query(QUERY, "postgres", "room_id", "patient_key", ("1",), write)
    buckets = bucket_counts_query(QUERY, "postgres", "room_id", 3, write)
    bucket_keys = bucket_keys_query(QUERY, "postgres", "room_id", 3, ("001", "x'y"), write)
    for sql in (counted, keys, values, buckets, bucket_keys):
        sqlglot.parse_one(sql, read=write)  # valid in the target dialect
        assert "'2026" not in sql  # no incremental window
    assert "'1'" in counted and "'2'" in counted


def test_bucket_queries_run_on_duckdb_and_sqlite():
    """Counts per bucket (the key's last 3 characters, null keys apart) and the keys of some
    buckets, in DuckDB (`right`) and SQLite (`substr` with a negative start)."""
    import sqlite3

    rows = [("1001", 1, "7"), ("2001", 2, "8"), ("1002", 3, "7"), ("12", 4, "7"), (None, 5, "7")]
    duck = duckdb.connect()
    duck.execute("create table t (x varchar, y integer, z varchar)")
    duck.executemany("insert into t values (?, ?, ?)", rows)
    lite = sqlite3.connect(":memory:")
    lite.execute("create table t (x text, y integer, z text)")
    lite.executemany("insert into t values (?, ?, ?)", rows)
    for write, run in (("duckdb", duck.execute), ("sqlite", lite.execute)):
        counts = run(bucket_counts_query(QUERY, "postgres", "room_id", 3, write)).fetchall()
        assert sorted(counts, key=str) == sorted(
            [("001", 2), ("002", 1), ("12", 1), (None, 1)], key=str
        ), write
        keys = run(bucket_keys_query(QUERY, "postgres", "room_id", 3, ("001", "12"), write))
        assert sorted(r[0] for r in keys.fetchall()) == ["1001", "12", "2001"], write


def test_count_query_runs_on_duckdb_and_counts_excluded_rows_apart():
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values (1, 1, '7'), (2, 2, '8'), (3, 3, '7')) v(x, y, z)"
    )
    sql = count_query(QUERY, "postgres", "duckdb", ("patient_key", ("7",)))
    assert con.execute(sql).fetchall() == [(3, 2)]
    assert con.execute(count_query(QUERY, "postgres", "duckdb")).fetchall() == [(3, 0)]


def test_the_deletes_schedule_is_load_or_hours_or_days():
    assert DeletesSpec().interval_hours == 0 and DeletesSpec().every == "load"
    assert DeletesSpec(every="7 days").interval_hours == 168
    assert (
        DeletesSpec().every_key_hours == 168 and DeletesSpec(every_key="load").every_key_hours == 0
    )
    assert DeletesSpec(every="12 hours").interval_hours == 12
    with pytest.raises(pydantic.ValidationError, match="'weekly'"):
        DeletesSpec(every="weekly")


def test_excluded_ids_are_never_dumped():
    privacy = PrivacySpec(exclude_patients=[123], excluded_ids=("123",))
    assert privacy.exclude_patients == ["123"]
    assert "excluded_ids" not in privacy.model_dump()


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_schema(con)
    con.execute("create table main.rooms (room_id varchar, valid_from date, _load_id varchar)")
    con.execute("create table quarantine.rooms as select * from main.rooms where false")
    con.execute("create table held.rooms as select * from main.rooms where false")
    con.execute(
        "insert into main.rooms values ('A', '2026-01-01', 'L1'), ('A', '2026-02-01', 'L1'), "
        "('B', '2026-01-01', 'L1'), ('C', '2026-01-01', 'L1')"
    )
    # a newer version of B waits in quarantine; a row without a key too
    con.execute("insert into quarantine.rooms values ('B', '2026-01-01', 'L2'), (null, null, 'L2')")
    return con


def test_holdings_count_a_record_once_whatever_table_holds_it():
    held = holdings(_warehouse(), SPEC)
    assert (held.published, held.quarantine_open, held.held, held.superseded) == (4, 2, 0, 1)
    assert held.total == 5


def test_keys_the_source_lacks_become_tombstones_and_leave_every_table():
    con = _warehouse()
    con.execute(
        "create temp table src as select * from (values ('A', date '2026-01-01'), "
        "('C', date '2026-01-01')) v(room_id, valid_from)"
    )
    missing = missing_keys(con, SPEC, "src")
    assert missing.share == pytest.approx(0.5)
    at = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert apply_deletes(con, SPEC, missing, load_id="L3", at=at) == 2
    assert sorted(
        con.execute("select room_id, valid_from::varchar from main.rooms").fetchall()
    ) == [
        ("A", "2026-01-01"),
        ("C", "2026-01-01"),
    ]
    # the row without a key stays: it can be matched to nothing
    assert con.execute("select count(*) from quarantine.rooms").fetchall() == [(1,)]
    keys = sorted(
        (json.loads(k) for k, load in read_tombstones(con, "rooms") if load == "L3"), key=str
    )
    assert keys == [
        {"room_id": "A", "valid_from": "2026-02-01"},
        {"room_id": "B", "valid_from": "2026-01-01"},
    ]


def test_the_check_fails_with_both_numbers_and_the_figures_are_kept():
    figures = Reconciliation("exams", 1234, 4, 1200, 25, 0, 0, 1225, 0, 3, True)
    assert not figures.matched and figures.expected == 1230
    check = reconciliation_outcome(figures, "exams")
    assert not check.passed and check.failing_count == 5 and check.element_count == 1230
    assert "origem 1.234 (menos 4 de pacientes excluídos)" in check.description
    assert "warehouse 1.225" in check.description
    con = duckdb.connect()
    ensure_schema(con)
    write_reconciliation(con, "L1", figures, dt.datetime(2026, 11, 30, tzinfo=dt.UTC))
    assert read_reconciliation(con, "L1") == {"exams": figures}
    uncounted = Reconciliation("exams", None, 0, 1, 0, 0, 0, 1, 0, 0, False, "contagem: falhou")
    check = reconciliation_outcome(uncounted, "exams")
    assert (
        not check.passed and check.error and uncounted.ledger_counts().get("source_count") is None
    )


def test_a_run_reconciles_only_when_the_source_was_counted_and_equal():
    assert make_run("L1", utc(2026, 10, 1)).reconciles
    books = ledger(encounters=(10, 10, 0, 0))
    books["encounters"]["source_count"] = 11
    assert make_run("L2", utc(2026, 10, 1), books=books).unreconciled() == ["encounters"]
    del books["encounters"]["source_count"]
    assert not make_run("L3", utc(2026, 10, 1), books=books).reconciles


def test_the_exclusion_list_joins_the_file_and_a_missing_file_names_the_field(tmp_path):
    from upflux_etl.catalog.errors import ConfigError
    from upflux_etl.catalog.reader import read_catalog, read_client
    from upflux_etl.settings import Settings

    catalog = read_catalog(Settings.from_env({}))
    body = (
        "name: Hospital Teste\ntimezone: America/Manaus\n"
        'sources:\n  erp: {profile: hospitalis, url: "sqlite:///{data_dir}/x.sqlite"}\n'
        "pseudonymisation: {key_env: UPFLUX_PSEUDONYM_KEY_HOSP}\n"
        "privacy: {exclude_patients: [42, '7'], exclude_patients_file: excluded.txt}\n"
    )
    path = tmp_path / "hosp.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_client(path, catalog)
    assert err.value.field == "privacy.exclude_patients_file"
    (tmp_path / "excluded.txt").write_text("# DPO, 2026-11\n 99 \n42\n\n", encoding="utf-8")
    client = read_client(path, catalog)
    assert client.privacy.excluded_ids == ("42", "7", "99")
    assert "99" not in client.model_dump_json()
