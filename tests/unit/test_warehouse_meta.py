"""The warehouse's bookkeeping: a check result is stored and read back as the same CheckResult."""

from __future__ import annotations

from pathlib import Path

import duckdb

from upflux_etl.quality.outcome import CheckOutcome
from upflux_etl.warehouse.meta.checks import read_checks, write_checks
from upflux_etl.warehouse.schema import ensure_schema


def outcome(name: str, *, passed: bool, failing: int, error: str | None = None) -> CheckOutcome:
    return CheckOutcome(
        name=name,
        dataset="encounters",
        level="row",
        blocking=False,
        passed=passed,
        failing_count=failing,
        element_count=8,
        failing_row_ids=tuple(range(failing)),
        description="Alta antes da admissão",
        fix_hint="Corrigir a data.",
        expectation_type="expect_column_pair_values_a_to_be_greater_than_b",
        error=error,
    )


def test_a_check_result_is_read_back_as_written():
    con = duckdb.connect()
    ensure_schema(con)
    checks = [
        outcome("b_check", passed=False, failing=2),
        outcome("a_check", passed=False, failing=0, error="KeyError: 'admitted_at'"),
    ]
    write_checks(con, "L1", "encounters", [c.result() for c in checks])
    back = read_checks(con, "L1")
    assert back == [checks[1].result(), checks[0].result()]  # by check name
    assert back[1].failing_share == 0.25 and back[1].expectation_type.startswith("expect_")
    # written again for the same dataset, it replaces the first results
    write_checks(con, "L1", "encounters", [checks[0].result()])
    assert read_checks(con, "L1") == [checks[0].result()]


def test_a_warehouse_from_before_expectation_type_gains_the_column():
    con = duckdb.connect()
    con.execute("create schema meta")
    con.execute(
        "create table meta.check_results (load_id varchar, dataset varchar, check_name varchar, "
        "level varchar, blocking boolean, passed boolean, failing_count bigint, "
        "element_count bigint, description varchar, fix_hint varchar, error varchar)"
    )
    con.execute(
        "insert into meta.check_results values "
        "('L0', 'encounters', 'old', 'row', false, true, 0, 3, null, null, null)"
    )
    [old] = read_checks(con, "L0")
    assert (old.expectation_type, old.description, old.error) == ("", "", None)
    ensure_schema(con)
    write_checks(con, "L1", "encounters", [outcome("new", passed=True, failing=0).result()])
    assert read_checks(con, "L1")[0].expectation_type.startswith("expect_")


def test_statuses_and_figures_are_stored_and_older_rows_read_a_derived_status():
    from dataclasses import replace

    con = duckdb.connect()
    con.execute("create schema meta")
    con.execute(
        "create table meta.check_results (load_id varchar, dataset varchar, check_name varchar, "
        "level varchar, blocking boolean, passed boolean, failing_count bigint, "
        "element_count bigint, description varchar, fix_hint varchar, error varchar, "
        "expectation_type varchar)"
    )
    con.execute(
        "insert into meta.check_results values "
        "('L0', 'encounters', 'ok', 'row', false, true, 0, 3, null, null, null, null), "
        "('L0', 'encounters', 'bad', 'row', false, false, 2, 3, null, null, null, null), "
        "('L0', 'encounters', 'broken', 'row', false, false, 0, 3, null, null, 'boom', null)"
    )
    assert {c.name: c.status for c in read_checks(con, "L0")} == {
        "ok": "passed",
        "bad": "failed",
        "broken": "error",
    }
    ensure_schema(con)  # the table migrates forward
    na = replace(outcome("na", passed=True, failing=0), status="not_applicable")
    share = replace(
        outcome("share", passed=False, failing=0),
        level="dataset",
        status="failed",
        observed=0.25,
        expected="≥ 0.5",
    )
    write_checks(con, "L1", "encounters", [na.result(), share.result()])
    back = {c.name: c for c in read_checks(con, "L1")}
    assert back["na"].status == "not_applicable" and back["na"].passed
    assert (back["share"].status, back["share"].observed, back["share"].expected) == (
        "failed",
        0.25,
        "≥ 0.5",
    )


def test_insert_rows_writes_every_row_in_order_across_statements_and_types():
    import datetime as dt

    from upflux_etl.warehouse.files import has_table, insert_rows, table_columns

    con = duckdb.connect()
    con.execute("create table t (n bigint, code varchar, ok boolean, seen timestamptz, x double)")
    at = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    rows = [[i, str(i) if i % 3 else None, i % 2 == 0, at, i / 2] for i in range(1_234)]
    insert_rows(con, "t", rows)  # 5 columns: 400 rows per statement, so four statements
    insert_rows(con, "t", [])
    insert_rows(con, "t (code, n)", [["tail", 10_000]])  # a column list, the rest null
    got = con.execute("select n, code, ok, seen, x from t order by n").fetchall()
    assert [list(r) for r in got[:-1]] == rows
    assert got[-1] == (10_000, "tail", None, None, None)
    assert has_table(con, "main", "t") and not has_table(con, "main", "missing")
    con.execute("create view v as select n from t")
    assert has_table(con, "main", "v")
    assert table_columns(con, "main", "t") == ["n", "code", "ok", "seen", "x"]


def _parted_warehouse(tmp_path, columns: str) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A warehouse file `w` with a view `parted` over one Parquet part of `columns`, and an
    empty schema `meta`; the part's path."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    part = tmp_path / "part.parquet"
    con.execute(f"copy (select {columns}) to '{part}'")
    con.execute(f"create view parted as select * from read_parquet(['{part}'])")
    con.execute("create schema meta")
    return con, part


def test_has_table_finds_tables_and_views_even_unbindable_without_aborting_a_transaction(
    tmp_path,
):
    from upflux_etl.warehouse.files import has_table

    con, part = _parted_warehouse(tmp_path, "1::bigint as n")
    con.execute("create table meta.t (n bigint)")
    con.execute("create view meta.over_t as select * from meta.t")
    con.execute("attach ':memory:' as scratch")
    con.execute("create schema scratch.staging")
    con.execute("create table scratch.staging.s (n bigint)")
    con.execute("set search_path = 'w.main,scratch.staging'")
    con.execute("begin")
    con.execute("insert into meta.t values (1)")
    assert not has_table(con, "meta", "missing") and not has_table(con, "nowhere", "t")
    assert has_table(con, "meta", "t") and has_table(con, "main", "parted")
    assert has_table(con, "staging", "s")  # a schema of another catalog on the search path
    con.execute("insert into meta.t values (2)")  # the lookups left the transaction usable
    con.execute("commit")
    assert con.execute("select count(*) from meta.t").fetchall() == [(2,)]
    part.unlink()  # a view whose parts moved still exists
    assert has_table(con, "main", "parted")
    con.execute("drop table meta.t")  # so does a view whose own table is gone
    assert has_table(con, "meta", "over_t") and not has_table(con, "meta", "t")


def test_column_types_of_tables_views_other_catalogs_and_views_that_cannot_bind(tmp_path):
    from upflux_etl.warehouse.files import column_types

    con, part = _parted_warehouse(tmp_path, "1::bigint as n, 'a' as code")
    con.execute("create table meta.t (code varchar, seen timestamptz, amount decimal(18, 2))")
    con.execute("attach ':memory:' as other")
    con.execute("create schema other.landing")
    con.execute("create table other.landing.x (k integer)")
    con.execute("set search_path = 'w.main,other.landing'")
    expected = {"code": "VARCHAR", "seen": "TIMESTAMP WITH TIME ZONE", "amount": "DECIMAL(18,2)"}
    assert column_types(con, "meta", "t") == expected
    assert column_types(con, "landing", "x") == {"k": "INTEGER"}  # found by the search path
    assert column_types(con, "main", "x", "other") == {}  # another catalog's own main
    assert column_types(con, "meta", "missing") == {}
    assert column_types(con, "nowhere", "t") == {}
    part.unlink()  # the view's part is gone (its folder moved): the catalog still knows it
    assert column_types(con, "main", "parted") == {"n": "BIGINT", "code": "VARCHAR"}


def test_records_leaving_the_quarantine_are_fixed_released_or_removed():
    """Fixed: brought again by the load; released: only re-checked and passed; removed: gone."""
    import datetime as dt

    from upflux_etl.catalog.models import DatasetSpec
    from upflux_etl.warehouse.meta.quarantine import record_resolved

    spec = DatasetSpec(
        name="exams",
        description="",
        primary_key=["order_id", "site"],
        incremental_column="order_id",
        columns={"order_id": {"type": "string"}, "site": {"type": "string"}},
    )
    con = duckdb.connect()
    ensure_schema(con)
    con.execute("create schema if not exists staging")
    con.execute(
        "create table staging.exams as select * from (values "
        "('fixed', 'a', false), ('fixed', 'a', true), ('released', 'a', true), "
        "('released', 'b', false), ('new', 'a', false), ('still', 'a', true)) "
        "as t(order_id, site, _recheck)"
    )
    con.execute("create table quarantine.exams as select 'still' as order_id, 'a' as site")
    con.execute(
        "create temp table _prev as select order_id, site, ['x_failed'] as reasons, "
        "'load0' as first_seen_load, timestamptz '2026-01-01 00:00:00+00' as first_seen_at "
        "from (values ('fixed', 'a'), ('released', 'a'), ('removed', 'a'), ('still', 'a')) "
        "as t(order_id, site)"
    )
    now = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    record_resolved(con, spec, load_id="load1", now=now)
    rows = con.execute(
        "select record_key, resolution, reasons, first_seen_load from meta.quarantine_resolved "
        "order by record_key"
    ).fetchall()
    assert rows == [
        ('{"order_id":"fixed","site":"a"}', "fixed", ["x_failed"], "load0"),
        ('{"order_id":"released","site":"a"}', "released", ["x_failed"], "load0"),
        ('{"order_id":"removed","site":"a"}', "removed", ["x_failed"], "load0"),
    ]
