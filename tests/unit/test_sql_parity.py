"""Parity: each expectation type the suites use, compiled to DuckDB SQL, gives Great
Expectations' own result on the same data (GX 1.24, pandas engine, on the frame DuckDB
returns for the table, as the pipeline built it before): counts, failing row ids,
unexpected_percent, observed value and success — with nulls, NaN, empty strings, time
zones, values at strict and non-strict bounds, and `mostly` thresholds.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from upflux_etl.catalog.reader import read_catalog
from upflux_etl.quality.gx_bridge import validate_frame
from upflux_etl.quality.gx_expectations import build_expectation
from upflux_etl.quality.sql_compile import AggregateCheck, compile_expectation, compiled_types
from upflux_etl.quality.sql_suite import measure, result_types
from upflux_etl.settings import Settings

ROOT = Path(__file__).parents[2]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-3)))

ROWS = """
(1, 'a',  1.0,        1,    timestamptz '2026-03-01 14:59:59+00', timestamptz '2026-03-01 15:00:00+00', true,  'x', 1,   'A01'),
(2, '',   'nan',      12,   timestamptz '2026-03-01 15:00:00+00', timestamptz '2026-03-01 12:00:00-03', false, 'x', 1,   'A01.1'),
(3, null, null,       0,    timestamptz '2026-03-01 15:00:01+00', timestamptz '2026-03-01 15:00:00+00', null,  'x', 2,   ''),
(4, 'b',  0.5,        13,   null,                                  timestamptz '2026-02-28 10:00:00+00', true,  null, null, 'a01'),
(5, 'a',  12.0,       null, timestamptz '2026-02-01 00:00:00-03', null,                                  false, null, null, 'Z999'),
(6, ' ',  12.0000001, 12,   timestamptz '2025-12-31 23:59:59+00', timestamptz '2026-01-01 00:00:00+00', true,  'y', null, null),
(7, 'A',  -0.0,       1,    timestamptz '2026-03-01 12:00:00-03', timestamptz '2026-03-01 11:59:59-03', true,  'y', 3,   'B20.X')
"""
DDL = (
    "create table t (_row_id bigint, s varchar, n double, i bigint, ts timestamptz, "
    "ts2 timestamptz, b boolean, k1 varchar, k2 bigint, code varchar)"
)

CASES: list[tuple[str, dict]] = [
    ("expect_column_values_to_not_be_null", {"column": "s"}),
    ("expect_column_values_to_not_be_null", {"column": "n"}),
    ("expect_column_values_to_not_be_null", {"column": "ts"}),
    ("expect_column_values_to_not_be_null", {"column": "n", "mostly": 0.7}),
    ("expect_column_values_to_not_be_null", {"column": "n", "mostly": 0.72}),
    ("expect_column_values_to_be_in_set", {"column": "s", "value_set": ["a", "b"]}),
    ("expect_column_values_to_be_in_set", {"column": "s", "value_set": ["a", "b", ""]}),
    ("expect_column_values_to_be_in_set", {"column": "i", "value_set": [1, 12]}),
    ("expect_column_values_to_be_in_set", {"column": "i", "value_set": [1, 12], "mostly": 0.66}),
    ("expect_column_values_to_be_in_set", {"column": "b", "value_set": [True]}),
    ("expect_column_values_to_be_in_set", {"column": "s", "value_set": []}),
    ("expect_column_values_to_not_be_in_set", {"column": "b", "value_set": [True]}),
    ("expect_column_values_to_not_be_in_set", {"column": "b", "value_set": [False]}),
    ("expect_column_values_to_not_be_in_set", {"column": "s", "value_set": ["", " "]}),
    ("expect_column_values_to_be_unique", {"column": "s"}),
    ("expect_column_values_to_be_unique", {"column": "n"}),
    ("expect_column_values_to_be_unique", {"column": "i"}),
    ("expect_column_values_to_be_unique", {"column": "k1", "mostly": 0.5}),
    ("expect_compound_columns_to_be_unique", {"column_list": ["k1", "k2"]}),
    (
        "expect_compound_columns_to_be_unique",
        {"column_list": ["k1", "k2"], "ignore_row_if": "any_value_is_missing"},
    ),
    (
        "expect_compound_columns_to_be_unique",
        {"column_list": ["k1", "k2"], "ignore_row_if": "never"},
    ),
    ("expect_compound_columns_to_be_unique", {"column_list": ["b", "k1"]}),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {
            "column_A": "ts2",
            "column_B": "ts",
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    ),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "ts2", "column_B": "ts", "ignore_row_if": "either_value_is_missing"},
    ),
    ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "ts2", "column_B": "ts"}),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "ts2", "column_B": "ts", "or_equal": True, "ignore_row_if": "neither"},
    ),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {
            "column_A": "n",
            "column_B": "i",
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    ),
    ("expect_column_values_to_be_between", {"column": "i", "min_value": 1, "max_value": 12}),
    (
        "expect_column_values_to_be_between",
        {"column": "i", "min_value": 1, "max_value": 12, "strict_min": True, "strict_max": True},
    ),
    ("expect_column_values_to_be_between", {"column": "i", "min_value": 0}),
    ("expect_column_values_to_be_between", {"column": "n", "min_value": 0.5}),
    ("expect_column_values_to_be_between", {"column": "n", "max_value": 12, "mostly": 0.8}),
    ("expect_column_values_to_be_between", {"column": "n", "min_value": 0, "strict_min": True}),
    ("expect_column_values_to_be_between", {"column": "ts", "max_value": NOW}),
    ("expect_column_values_to_be_between", {"column": "ts", "max_value": NOW, "strict_max": True}),
    (
        "expect_column_values_to_be_between",
        {"column": "ts", "min_value": datetime(2026, 1, 1, tzinfo=UTC), "max_value": NOW},
    ),
    (
        "expect_column_values_to_match_regex",
        {"column": "code", "regex": r"^[A-Z][0-9]{2}(?:\.?[0-9A-Z]{1,2})?$"},
    ),
    ("expect_column_values_to_match_regex", {"column": "s", "regex": "a"}),
    ("expect_column_values_to_match_regex", {"column": "s", "regex": "^$"}),
    ("expect_column_values_to_match_regex", {"column": "i", "regex": "^1"}),
    (
        "expect_column_proportion_of_non_null_values_to_be_between",
        {"column": "s", "min_value": 0.5},
    ),
    (
        "expect_column_proportion_of_non_null_values_to_be_between",
        {"column": "n", "min_value": 0.72},
    ),
    (
        "expect_column_proportion_of_non_null_values_to_be_between",
        {"column": "n", "min_value": 5 / 7},
    ),
    (
        "expect_column_proportion_of_non_null_values_to_be_between",
        {"column": "n", "min_value": 5 / 7, "strict_min": True},
    ),
    (
        "expect_column_proportion_of_non_null_values_to_be_between",
        {"column": "ts", "min_value": 0.5, "max_value": 6 / 7, "strict_max": True},
    ),
    (
        "expect_column_proportion_of_non_null_values_to_be_between",
        {"column": "k2", "max_value": 0.5},
    ),
    ("expect_table_row_count_to_be_between", {"min_value": 7}),
    ("expect_table_row_count_to_be_between", {"min_value": 7, "strict_min": True}),
    ("expect_table_row_count_to_be_between", {"min_value": 1, "max_value": 6}),
    ("expect_table_row_count_to_be_between", {"max_value": 7}),
]


def _types_the_suites_use() -> set[str]:
    catalog = read_catalog(Settings.from_env({}))  # checks: generated + suite files
    return {e.type for checks in catalog.checks.values() for e in checks}


def _table(con: duckdb.DuckDBPyConnection, empty: bool = False) -> None:
    con.sql("set timezone = 'America/Sao_Paulo'")
    con.sql(DDL)
    if not empty:
        con.sql(f"insert into t values {ROWS}")


def _gx(con: duckdb.DuckDBPyConnection, type_name: str, kwargs: dict) -> dict:
    frame = con.sql("select * from t").df()
    exp = build_expectation(type_name, kwargs, meta={"name": "x"})
    result = validate_frame(frame, [exp], dataset="t").results[0]
    assert not (result.exception_info or {}).get("raised_exception"), result.exception_info
    details = result.result or {}
    ids = [v for e in details.get("unexpected_index_list") or [] for v in e["_row_id"]]
    return {
        "success": bool(result.success),
        "unexpected_count": details.get("unexpected_count"),
        "ids": sorted(int(i) for i in ids),
        "unexpected_percent": details.get("unexpected_percent"),
        "observed": details.get("observed_value"),
        "element_count": details.get("element_count"),
    }


def _ours(con: duckdb.DuckDBPyConnection, type_name: str, kwargs: dict) -> dict:
    check = compile_expectation(type_name, kwargs, result_types(con, "t"), table="t")
    m = measure(con, "t", check)
    if isinstance(check, AggregateCheck):
        return {"success": m.success, "observed": m.observed}
    return {
        "success": m.success,
        "unexpected_count": len(m.failing_row_ids),
        "ids": list(m.failing_row_ids),
        "unexpected_percent": m.unexpected_percent,
        "element_count": m.element_count,
    }


def _same(ours: dict, gx: dict) -> None:
    for key, value in ours.items():
        expected = gx[key]
        if isinstance(value, float) or isinstance(expected, float):
            if value is None or expected is None:
                assert value == expected, (key, value, expected)
            else:
                assert math.isclose(value, expected, rel_tol=1e-12), (key, value, expected)
        else:
            assert value == expected, (key, value, expected)


def test_the_cases_cover_every_expectation_type_the_suites_use():
    used = _types_the_suites_use()
    assert used <= {t for t, _ in CASES}, used - {t for t, _ in CASES}
    assert used <= set(compiled_types())
    registry = json.loads((ROOT / "upflux_etl/catalog/expectation_types.json").read_text())
    assert set(compiled_types()) <= set(registry["types"])


@pytest.mark.parametrize(
    ("type_name", "kwargs"), CASES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(CASES)]
)
def test_sql_equals_great_expectations(type_name, kwargs):
    con = duckdb.connect()
    _table(con)
    gx, ours = _gx(con, type_name, kwargs), _ours(con, type_name, kwargs)
    _same(ours, gx)


@pytest.mark.parametrize(
    ("type_name", "kwargs"),
    [c for c in CASES if not c[0].startswith("expect_column_proportion")],
    ids=[
        f"empty-{t}-{i}"
        for i, (t, _) in enumerate(CASES)
        if not t.startswith("expect_column_proportion")
    ],
)
def test_sql_equals_great_expectations_on_an_empty_table(type_name, kwargs):
    con = duckdb.connect()
    _table(con, empty=True)
    _same(_ours(con, type_name, kwargs), _gx(con, type_name, kwargs))


def test_a_value_set_from_the_warehouse_equals_the_listed_set():
    con = duckdb.connect()
    _table(con)
    con.execute("create table parents as select * from (values ('a'), ('b'), (null)) as v(id)")
    kwargs = {"column": "s"}
    check = compile_expectation(
        "expect_column_values_to_be_in_set",
        kwargs,
        result_types(con, "t"),
        table="t",
        value_set_sql="select id from parents where id is not null",
    )
    m = measure(con, "t", check)
    gx = _gx(con, "expect_column_values_to_be_in_set", {**kwargs, "value_set": ["a", "b"]})
    assert list(m.failing_row_ids) == gx["ids"] and m.success == gx["success"]
