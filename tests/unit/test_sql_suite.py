"""A suite run as SQL: statuses (passed, failed, not_applicable, error), dataset-level checks
judged on the dataset as published, errors holding the dataset, and the GX fallback."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from upflux_etl.catalog.models import DatasetSpec, ExpectationSpec
from upflux_etl.quality.outcome import SuiteOutcome
from upflux_etl.quality.sql_suite import SqlSuiteInput, run_sql_suite
from upflux_etl.quality.status import errored
from upflux_etl.warehouse.merged import merged_parts

NOW = datetime(2026, 3, 1, tzinfo=UTC)
TABLE = 'staging."exams"'


def spec(name: str, type_name: str, level: str = "row", **kwargs) -> ExpectationSpec:
    return ExpectationSpec(name=name, type=type_name, kwargs=kwargs, level=level)


SUITE = [
    spec("order_id_unique", "expect_column_values_to_be_unique", column="order_id"),
    spec(
        "result_after_order",
        "expect_column_pair_values_a_to_be_greater_than_b",
        column_A="resulted_at",
        column_B="ordered_at",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    ),
    spec(
        "resulted_at_mostly_filled",
        "expect_column_proportion_of_non_null_values_to_be_between",
        level="dataset",
        column="resulted_at",
        min_value=0.5,
    ),
    spec("row_count_not_zero", "expect_table_row_count_to_be_between", "dataset", min_value=1),
]


def _con(rows: str | None, published: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.sql("create schema staging")
    columns = "order_id varchar, ordered_at timestamptz, resulted_at timestamptz"
    con.sql(f"create table {TABLE} (_row_id bigint, {columns})")
    if rows:
        con.sql(f"insert into {TABLE} values {rows}")
    con.sql(f"create table main.exams ({columns})")
    if published:
        con.sql(f"insert into main.exams values {published}")
    return con


def _run(con, merged: str | None = None, suite=SUITE, fallback=None) -> dict:
    where = SqlSuiteInput(table=TABLE, merged=merged, fallback=fallback)
    outcome = run_sql_suite(con, suite, dataset="exams", now=NOW, where=where)
    return {c.name: c for c in outcome.checks}, outcome


MERGED = (
    "(select order_id, ordered_at, resulted_at from main.exams as t where not exists "
    f"(select 1 from {TABLE} as s where s.order_id = t.order_id) union all by name "
    f"select order_id, ordered_at, resulted_at from {TABLE} "
    "where _row_id not in (select _row_id from _failing_rows))"
)


def test_a_small_batch_is_judged_on_the_dataset_as_published():
    published = ", ".join(f"('{i}', '2026-01-01', '2026-01-02')" for i in range(10))
    con = _con("(1, 'a', '2026-02-01', null), (2, 'b', '2026-02-01', null)", published)
    checks, _ = _run(con, MERGED)
    filled = checks["resulted_at_mostly_filled"]
    assert filled.status == "passed" and filled.observed == 10 / 12 and filled.expected == "≥ 0.5"
    assert filled.element_count == 12
    # no row of the batch had a result to compare, but the hospital fills the field: passed
    assert checks["result_after_order"].status == "passed"
    assert checks["order_id_unique"].status == "passed"


def test_a_failed_dataset_check_carries_observed_and_expected():
    con = _con(
        "(1, 'a', '2026-02-01', null), (2, 'b', '2026-02-01', null), (3, 'c', '2026-02-01', '2026-02-02')"
    )
    checks, outcome = _run(con)
    filled = checks["resulted_at_mostly_filled"]
    assert (filled.status, filled.observed, filled.expected) == ("failed", 1 / 3, "≥ 0.5")
    assert not filled.passed and outcome.blocking_failures() == ()  # not blocking


def test_an_unpopulated_field_and_an_empty_load_are_not_applicable():
    con = _con("(1, 'a', '2026-02-01', null), (2, 'b', '2026-02-01', null)")
    checks, _ = _run(con)
    assert checks["resulted_at_mostly_filled"].status == "not_applicable"
    assert checks["result_after_order"].status == "not_applicable"
    assert checks["order_id_unique"].status == "passed"
    empty, _ = _run(_con(None))
    assert {n: c.status for n, c in empty.items()} == {
        "order_id_unique": "not_applicable",
        "result_after_order": "not_applicable",
        "resulted_at_mostly_filled": "not_applicable",
        "row_count_not_zero": "failed",
    }
    assert empty["row_count_not_zero"].observed == 0


def test_no_row_check_fails_with_zero_rows_and_failing_ids_are_returned():
    con = _con(
        "(1, 'a', '2026-02-02', '2026-02-01'), (2, 'a', '2026-02-01', null), (3, 'c', null, null)"
    )
    checks, outcome = _run(con)
    assert checks["order_id_unique"].failing_row_ids == (1, 2)
    assert checks["result_after_order"].failing_row_ids == (1,)
    assert all(
        (c.status == "failed") == (c.failing_count > 0) for c in outcome.checks if c.level == "row"
    )
    assert outcome.quarantined_row_ids() == {
        1: ("order_id_unique", "result_after_order"),
        2: ("order_id_unique",),
    }


def test_a_broken_check_is_an_error_that_holds_the_dataset():
    con = _con("(1, 'a', '2026-02-01', null)")
    broken = spec("no_column", "expect_column_values_to_not_be_null", column="nope")
    wrong_level = spec("count_as_row", "expect_table_row_count_to_be_between", min_value=1)
    checks, outcome = _run(con, suite=[*SUITE, broken, wrong_level])
    assert checks["no_column"].status == "error" and "nope" in checks["no_column"].error
    assert (
        checks["count_as_row"].status == "error"
        and "level: dataset" in checks["count_as_row"].error
    )
    assert {c.name for c in outcome.blocking_failures()} == {"no_column", "count_as_row"}


def test_a_type_sql_does_not_compile_runs_with_the_fallback():
    con = _con("(1, 'a', '2026-02-01', null)")
    median = spec(
        "median", "expect_column_median_to_be_between", "dataset", column="order_id", min_value=1
    )
    seen = []

    def fallback(specs):
        seen.extend(s.name for s in specs)
        return SuiteOutcome("exams", tuple(errored(s, "exams", 1, "stub") for s in specs))

    checks, _ = _run(con, suite=[median], fallback=fallback)
    assert seen == ["median"] and checks["median"].error == "stub"
    checks, _ = _run(con, suite=[median])  # no fallback engine: an error, never a silent pass
    assert checks["median"].status == "error"


def test_the_dataset_checks_are_measured_in_one_scan_with_the_outcomes_of_one_by_one(monkeypatch):
    from upflux_etl.quality import sql_suite

    published = ", ".join(f"('{i}', '2026-01-01', '2026-01-02')" for i in range(10))
    con = _con("(1, 'a', '2026-02-01', null), (2, '3', '2026-02-01', null)", published)
    one_by_one = {}
    for name in ("resulted_at_mostly_filled", "row_count_not_zero"):  # alone: measured alone
        alone, _ = _run(con, MERGED, suite=[s for s in SUITE if s.name == name])
        one_by_one[name] = alone[name]
    measure = sql_suite.measure

    def rows_only(con, table, check):
        assert not isinstance(check, sql_suite.AggregateCheck), "measured apart, not in one scan"
        return measure(con, table, check)

    monkeypatch.setattr(sql_suite, "measure", rows_only)
    together, _ = _run(con, MERGED)
    for name, outcome in one_by_one.items():
        assert together[name] == outcome
    assert together["resulted_at_mostly_filled"].observed == 9 / 11  # '3' replaced a published row


EXAMS = DatasetSpec(
    name="exams",
    description="",
    primary_key=["order_id"],
    incremental_column="ordered_at",
    columns={
        "order_id": {"type": "string"},
        "ordered_at": {"type": "timestamp"},
        "resulted_at": {"type": "timestamp"},
    },
)


def test_an_incremental_loads_dataset_checks_are_counted_by_parts_as_the_merged_scan(monkeypatch):
    """published - replaced + clean gives the merged scan's outcomes, with no scan of it."""
    from upflux_etl.quality import sql_suite

    filled = ", ".join(f"('{i}', '2026-01-01', '2026-01-02')" for i in range(6))
    cases = {
        "replaces filled rows with empty ones": (
            "(1, '0', '2026-02-01', null), (2, '1', '2026-02-01', null), (3, 'x', '2026-02-01', null)",
            f"{filled}, ('e1', '2026-01-01', null)",
        ),
        "a failing row is not counted": (
            "(1, '0', '2026-02-01', '2026-02-02'), (2, '0', '2026-02-01', '2026-02-02')",
            filled,
        ),
        "replaces every row": (
            ", ".join(f"({i}, '{i}', '2026-02-01', null)" for i in range(6)),
            filled,
        ),
        "nothing published yet": ("(1, 'a', '2026-02-01', null)", None),
        "an empty load": (None, filled),
        "nothing at all": (None, None),
    }
    for case, (rows, published) in cases.items():
        scanned, _ = _run(_con(rows, published), MERGED)
        con = _con(rows, published)
        parts = merged_parts(con, EXAMS, full=False)
        assert parts is not None and "_failing_rows" in parts.clean

        def no_scan(*args, **kwargs):
            raise AssertionError("the merged dataset was scanned for a count")

        with monkeypatch.context() as patched:
            patched.setattr(sql_suite, "_scan_aggregates", no_scan)
            where = SqlSuiteInput(table=TABLE, merged=MERGED, merged_parts=parts)
            outcome = run_sql_suite(con, SUITE, dataset="exams", now=NOW, where=where)
        counted = {c.name: c for c in outcome.checks}
        assert counted == scanned, case
    assert merged_parts(_con(None), EXAMS, full=True) is None


def test_a_reference_check_gives_the_same_outcome_on_the_keys_the_load_brings():
    """An incremental load's reference set is cut to its own values: same failing rows."""
    from upflux_etl.pipeline.datasets import _value_set_sql

    con = duckdb.connect()
    for schema in ("staging", "quarantine"):
        con.sql(f"create schema {schema}")
    con.sql(
        "create table main.encounters as select (range * 2)::varchar as encounter_id from range(500)"
    )
    con.sql("insert into main.encounters values (null)")
    con.sql("create table quarantine.encounters as select '7' as encounter_id")
    con.sql(
        f"create table {TABLE} as select range as _row_id, (range * 3)::varchar as encounter_id "
        "from range(40) union all select 40, null union all select 41, '7' union all select 42, ''"
    )
    exists = ExpectationSpec(
        name="exams_encounter_exists",
        type="expect_column_values_to_be_in_set",
        kwargs={"column": "encounter_id"},
        value_set_from="encounters.encounter_id",
    )
    outcomes = []
    for staged in (None, TABLE):
        value_set, kept = _value_set_sql(con, "encounters.encounter_id", staged, {"encounter_id"})
        assert (kept is None) == (staged is None)  # the load's keys found, kept for both reads
        where = SqlSuiteInput(table=TABLE, value_sets={"encounters.encounter_id": value_set})
        outcome = run_sql_suite(con, [exists], dataset="exams", now=NOW, where=where)
        outcomes.append(outcome.checks[0])
    whole, cut = outcomes
    assert cut == whole
    assert whole.failing_row_ids == (*(i for i in range(40) if (i * 3) % 2), 42)
