"""The generated registry of expectation types agrees with the pinned Great Expectations."""

from __future__ import annotations

import pytest

from upflux_etl.catalog.expectation_types import REGISTRY, kwargs_problems
from upflux_etl.quality.gx_expectations import ExpectationKwargsError, build_expectation
from upflux_etl.quality.gx_registry import build_registry, render


def test_the_registry_file_is_what_gx_generates():
    # regenerate after a GX upgrade: python -m upflux_etl.quality.gx_registry
    assert REGISTRY.read_text(encoding="utf-8") == render(build_registry())


# Every type the shipped and generated suites use, with kwargs GX accepts and refuses.
CASES = [
    ("expect_column_values_to_not_be_null", {"column": "a"}),
    ("expect_column_values_to_not_be_null", {}),
    ("expect_column_values_to_not_be_null", {"column": ""}),
    ("expect_column_values_to_not_be_null", {"column": 3}),
    ("expect_column_values_to_not_be_null", {"column": "a", "colour": "red"}),
    ("expect_column_values_to_not_be_null", {"column": "a", "mostly": 0.955}),
    ("expect_column_values_to_not_be_null", {"column": "a", "mostly": 1.5}),
    ("expect_column_values_to_be_between", {"column": "a", "min_value": 0}),
    ("expect_column_values_to_be_between", {"column": "a"}),
    ("expect_column_values_to_be_between", {"column": "a", "max_value": "soon"}),
    ("expect_column_values_to_be_between", {"column": "a", "max_value": "2020-01-01"}),
    (
        "expect_column_values_to_be_between",
        {"column": "a", "max_value": "2000-01-01T00:00:00+00:00"},
    ),
    ("expect_column_values_to_be_between", {"column": "a", "min_value": 1, "max_value": 12}),
    ("expect_column_values_to_be_in_set", {"column": "a", "value_set": ["x"]}),
    ("expect_column_values_to_be_in_set", {"column": "a"}),
    ("expect_column_values_to_not_be_in_set", {"column": "a", "value_set": [True]}),
    ("expect_column_values_to_match_regex", {"column": "a", "regex": "^[A-Z]$"}),
    ("expect_column_values_to_match_regex", {"column": "a", "regex": "(unclosed"}),
    ("expect_column_values_to_match_regex", {"column": "a"}),
    ("expect_column_values_to_be_unique", {"column": "a"}),
    ("expect_compound_columns_to_be_unique", {"column_list": ["a", "b"]}),
    ("expect_compound_columns_to_be_unique", {"column_list": "a"}),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {
            "column_A": "a",
            "column_B": "b",
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    ),
    ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "a"}),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "a", "column_B": "b", "ignore_row_if": "sometimes"},
    ),
    (
        "expect_column_proportion_of_non_null_values_to_be_between",
        {"column": "a", "min_value": 0.5},
    ),
    (
        "expect_column_proportion_of_non_null_values_to_be_between",
        {"column": "a", "min_value": "x"},
    ),
    ("expect_table_row_count_to_be_between", {"min_value": 1}),
    ("expect_table_row_count_to_be_between", {"min_value": "one"}),
]


@pytest.mark.parametrize(("type_name", "kwargs"), CASES)
def test_the_registry_judges_kwargs_as_gx_does(type_name, kwargs):
    try:
        build_expectation(type_name, kwargs, meta={"name": "x"})
        gx_accepts = True
    except ExpectationKwargsError:
        gx_accepts = False
    assert (kwargs_problems(type_name, kwargs) == []) is gx_accepts, kwargs_problems(
        type_name, kwargs
    )
