"""run_suite: Great Expectations on a staged frame, failing rows named by `_row_id`."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from upflux_etl.catalog.checks import generated_expectations
from upflux_etl.catalog.models import DatasetSpec, ExpectationSpec
from upflux_etl.quality.gx_bridge import run_suite
from upflux_etl.quality.outcome import SuiteOutcome

ZONE = "America/Sao_Paulo"
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)

VISITS = DatasetSpec.model_validate(
    {
        "name": "visits",
        "description": "x",
        "min_rows": 0,
        "primary_key": ["visit_id"],
        "incremental_column": "arrived_at",
        "columns": {
            "visit_id": {"type": "string", "required": True},
            "cpf": {"type": "string", "pii": "pseudonym", "validate": "cpf"},
            "colour": {"type": "string", "map": "triage_colour", "values": ["red", "green"]},
            "module": {"type": "string", "values": ["a", "b"]},
            "amount": {"type": "decimal"},
            "arrived_at": {"type": "timestamp", "required": True},
            "left_at": {"type": "timestamp"},
        },
    }
)
ROOMS = DatasetSpec.model_validate(
    {
        "name": "rooms",
        "description": "x",
        "min_rows": 0,
        "primary_key": ["room_id", "valid_from"],
        "incremental_column": "valid_from",
        "columns": {
            "room_id": {"type": "string", "required": True},
            "valid_from": {"type": "date"},
        },
    }
)


def ts(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values))).dt.tz_localize(ZONE)


def visits_frame() -> pd.DataFrame:
    """Row ids 101..106; each generated check fails on known rows."""
    return pd.DataFrame(
        {
            "_row_id": pd.array([101, 102, 103, 104, 105, 106], dtype="int64"),
            "_unreadable_found": [False] * 6,
            "visit_id": ["v1", "v2", "v2", "v4", None, "v2"],
            "cpf": ["h1", "h2", None, "h4", "h5", "h6"],
            "cpf_valid": pd.array([True, False, None, True, True, True], dtype="boolean"),
            "colour": ["red", None, "green", "red", "red", "green"],
            "colour_code": ["1", "9", "2", "1", "1", "2"],
            "_colour_unmapped": [False, True, False, False, False, False],
            "module": ["a", "b", "z", None, "a", "a"],
            "amount": [1.5, None, 3.0, 4.0, 5.0, 6.0],
            "_amount_unparseable": [False, True, False, False, False, False],
            "arrived_at": ts(
                "2026-03-01 10:00",
                "2026-03-01 11:00",
                None,
                "2026-03-01 12:00",
                "2026-03-01 13:00",
                "2026-03-20 08:00",
            ),
            "_arrived_at_unparseable": [False, False, True, False, False, False],
            "left_at": ts(
                "2026-03-01 12:00",
                None,
                "2026-03-01 09:00",
                "2026-03-01 11:00",
                "2026-03-01 14:00",
                None,
            ),
            "_left_at_unparseable": [False] * 6,
        }
    )


@pytest.fixture(scope="module")
def generated() -> SuiteOutcome:
    return run_suite(visits_frame(), generated_expectations(VISITS), dataset="visits", now=NOW)


def failing(outcome: SuiteOutcome) -> dict[str, tuple[int, ...]]:
    return {c.name: c.failing_row_ids for c in outcome.checks if not c.passed}


def test_each_generated_check_names_exactly_its_failing_rows(generated):
    assert failing(generated) == {
        "visit_id_unique": (102, 103, 106),
        "visit_id_not_null": (105,),
        "cpf_check_digits": (102,),
        "colour_mapped": (102,),
        "module_in_domain": (103,),
        "amount_parseable": (102,),
        "arrived_at_not_null": (103,),
        "arrived_at_parseable": (103,),
    }
    assert all(c.error is None for c in generated.checks)


def test_counts_come_with_the_row_ids(generated):
    unique = next(c for c in generated.checks if c.name == "visit_id_unique")
    assert (unique.failing_count, unique.element_count, unique.level) == (3, 6, "row")
    assert unique.expectation_type == "expect_column_values_to_be_unique"
    assert unique.description.startswith("Identificador 'visit_id' repetido")


def test_quarantine_lists_every_reason_of_a_row(generated):
    quarantined = generated.quarantined_row_ids()
    assert set(quarantined) == {102, 103, 105, 106}
    assert quarantined[102] == (
        "visit_id_unique",
        "cpf_check_digits",
        "colour_mapped",
        "amount_parseable",
    )
    assert quarantined[106] == ("visit_id_unique",)
    assert generated.blocking_failures() == ()


def test_a_compound_key_marks_every_row_sharing_it():
    day = dt.date(2026, 1, 1)
    frame = pd.DataFrame(
        {
            "_row_id": pd.array([1, 2, 3, 4], dtype="int64"),
            "room_id": ["r1", "r1", "r2", "r1"],
            "valid_from": [day, day, day, dt.date(2026, 2, 1)],
            "_valid_from_unparseable": [False] * 4,
            "_unreadable_found": [False] * 4,
        }
    )
    outcome = run_suite(frame, generated_expectations(ROOMS), dataset="rooms", now=NOW)
    assert failing(outcome) == {"primary_key_unique": (1, 2)}


def pair(name: str, a: str, b: str) -> ExpectationSpec:
    return ExpectationSpec(
        name=name,
        type="expect_column_pair_values_a_to_be_greater_than_b",
        kwargs={
            "column_A": a,
            "column_B": b,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    )


def test_now_and_pair_checks_ignore_missing_values():
    not_future = ExpectationSpec(
        name="arrived_not_in_future",
        type="expect_column_values_to_be_between",
        kwargs={"column": "arrived_at", "max_value": "$now"},
    )
    outcome = run_suite(
        visits_frame(),
        [not_future, pair("left_after_arrival", "left_at", "arrived_at")],
        dataset="visits",
        now=NOW,
    )
    # 106 arrived on March 20th, after NOW; 104 left before arriving (103 lacks arrived_at).
    assert failing(outcome) == {"arrived_not_in_future": (106,), "left_after_arrival": (104,)}


def test_now_is_the_loads_start_not_the_clock():
    not_future = ExpectationSpec(
        name="arrived_not_in_future",
        type="expect_column_values_to_be_between",
        kwargs={"column": "arrived_at", "max_value": "$now"},
    )
    later = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    assert run_suite(visits_frame(), [not_future], dataset="visits", now=later).checks[0].passed


def exists(**extra) -> ExpectationSpec:
    return ExpectationSpec(
        name="visit_encounter_exists",
        type="expect_column_values_to_be_in_set",
        kwargs={"column": "visit_id", **extra},
        value_set_from="encounters.encounter_id",
    )


def test_value_set_from_is_filled_from_the_given_sets():
    outcome = run_suite(
        visits_frame(),
        [exists()],
        dataset="visits",
        value_sets={"encounters.encounter_id": ["v1", "v4"]},
        now=NOW,
    )
    # Nulls pass (105), as in Great Expectations.
    assert failing(outcome) == {"visit_encounter_exists": (102, 103, 106)}
    assert outcome.checks[0].failing_count == 3


def test_a_value_set_not_supplied_fails_loudly():
    check = run_suite(visits_frame(), [exists()], dataset="visits", value_sets={}, now=NOW).checks[
        0
    ]
    assert not check.passed
    assert "encounters.encounter_id" in check.error


def test_not_in_set_with_value_set_from_keeps_its_meaning():
    spec = ExpectationSpec(
        name="not_banned",
        type="expect_column_values_to_not_be_in_set",
        kwargs={"column": "visit_id"},
        value_set_from="banned.visit_id",
    )
    outcome = run_suite(
        visits_frame(), [spec], dataset="visits", value_sets={"banned.visit_id": ["v4"]}, now=NOW
    )
    assert failing(outcome) == {"not_banned": (104,)}


def test_a_broken_expectation_fails_with_its_error_and_the_others_still_run():
    broken = ExpectationSpec(
        name="no_such_column", type="expect_column_values_to_not_be_null", kwargs={"column": "nope"}
    )
    wrong_type = ExpectationSpec(
        name="amount_vs_text",
        type="expect_column_values_to_be_between",
        kwargs={"column": "visit_id", "min_value": 0},
    )
    outcome = run_suite(
        visits_frame(),
        [broken, wrong_type, pair("left_after_arrival", "left_at", "arrived_at")],
        dataset="visits",
        now=NOW,
    )
    by_name = {c.name: c for c in outcome.checks}
    assert not by_name["no_such_column"].passed and "nope" in by_name["no_such_column"].error
    assert not by_name["amount_vs_text"].passed and by_name["amount_vs_text"].error
    assert by_name["left_after_arrival"].failing_row_ids == (104,)
    # A row-level check that could not run quarantines nothing: the rows are not judged.
    assert set(outcome.quarantined_row_ids()) == {104}


def test_a_table_expectation_declared_row_level_fails_loudly():
    spec = ExpectationSpec(
        name="rows", type="expect_table_row_count_to_be_between", kwargs={"min_value": 1}
    )
    check = run_suite(visits_frame(), [spec], dataset="visits", now=NOW).checks[0]
    assert not check.passed and "level: dataset" in check.error


ROW_COUNT = ExpectationSpec(
    name="row_count_not_zero",
    type="expect_table_row_count_to_be_between",
    kwargs={"min_value": 1},
    level="dataset",
    blocking=True,
)
FILLED = ExpectationSpec(
    name="left_at_mostly_filled",
    type="expect_column_proportion_of_non_null_values_to_be_between",
    kwargs={"column": "left_at", "min_value": 0.9},
    level="dataset",
)


def test_dataset_checks_follow_gx_success_and_blocking_ones_hold():
    outcome = run_suite(visits_frame(), [ROW_COUNT, FILLED], dataset="visits", now=NOW)
    by_name = {c.name: c for c in outcome.checks}
    assert by_name["row_count_not_zero"].passed
    assert not by_name["left_at_mostly_filled"].passed  # 4 of 6 filled
    assert by_name["left_at_mostly_filled"].failing_row_ids == ()
    assert outcome.blocking_failures() == ()
    assert outcome.quarantined_row_ids() == {}


def test_an_empty_load_passes_everything_but_the_row_count():
    empty = visits_frame().iloc[0:0]
    outcome = run_suite(
        empty, [*generated_expectations(VISITS), FILLED, ROW_COUNT], dataset="visits", now=NOW
    )
    assert [c.name for c in outcome.checks if not c.passed] == ["row_count_not_zero"]
    assert [c.name for c in outcome.blocking_failures()] == ["row_count_not_zero"]
    assert all(c.error is None and c.element_count == 0 for c in outcome.checks)


def test_the_pipelines_frame_indexed_by_row_id_works_too():
    frame = visits_frame().set_index("_row_id", drop=False)
    outcome = run_suite(frame, generated_expectations(VISITS), dataset="visits", now=NOW)
    assert failing(outcome)["visit_id_unique"] == (102, 103, 106)


def test_the_callers_frame_is_left_as_it_was():
    frame = visits_frame()
    before = frame.copy()
    run_suite(
        frame, [exists()], dataset="visits", value_sets={"encounters.encounter_id": ["v1"]}, now=NOW
    )
    pd.testing.assert_frame_equal(frame, before)


def test_outcomes_keep_the_suites_order_and_dataset():
    specs = generated_expectations(VISITS)
    outcome = run_suite(visits_frame(), specs, dataset="visits", now=NOW)
    assert [c.name for c in outcome.checks] == [s.name for s in specs]
    assert {c.dataset for c in outcome.checks} == {"visits"}


@pytest.mark.parametrize(
    "frame, now, message",
    [
        (pd.DataFrame({"x": [1]}), NOW, "_row_id"),
        (pd.DataFrame({"_row_id": [1, 1]}), NOW, "unique"),
        (pd.DataFrame({"_row_id": [1]}), dt.datetime(2026, 1, 1), "time zone"),
    ],
)
def test_bad_inputs_are_programming_errors(frame, now, message):
    with pytest.raises(ValueError, match=message):
        run_suite(frame, [ROW_COUNT], dataset="visits", now=now)
