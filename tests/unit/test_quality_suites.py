"""Suite files: the shipped ones load and pass GX's own checks; broken ones name file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from upflux_etl.catalog.checks import suite_expectations
from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import ExpectationSpec, SuiteSpec
from upflux_etl.catalog.reader import check_suite, read_catalog
from upflux_etl.settings import Settings, project_root

PATH = Path("expectations/visits.yaml")
# Names the demo generator's defect manifest relies on, by dataset.
BINDING = {
    "encounters": {
        "encounter_id_unique",
        "admitted_at_not_null",
        "discharge_type_mapped",
        "discharge_after_admission",
        "cid10_format",
        "row_count_not_zero",
    },
    "patients": {"cpf_check_digits", "cns_check_digits", "row_count_not_zero"},
    "er_visits": {
        "first_medical_contact_at_parseable",
        "triage_after_arrival",
        "row_count_not_zero",
    },
    "exams": {
        "ordered_at_not_in_future",
        "exams_encounter_exists",
        "result_after_order",
        "row_count_not_zero",
    },
    "billing": {"denied_not_above_billed", "row_count_not_zero"},
    "bed_movements": {"movement_end_after_start", "row_count_not_zero"},
}


@pytest.fixture(scope="module")
def catalog():
    return read_catalog(Settings.from_env({}))


@pytest.fixture(scope="module")
def canonical(catalog):
    return catalog.canonical


@pytest.fixture(scope="module")
def suites(catalog):
    return catalog.suites


def test_every_canonical_dataset_has_a_suite(canonical, suites):
    assert set(suites) == set(canonical.datasets)


def test_every_shipped_suite_passes_check_suite(canonical, suites):
    for name, suite in suites.items():
        check_suite(suite, project_root() / "expectations" / f"{name}.yaml", canonical)


def test_the_binding_check_names_exist(canonical, suites):
    for dataset, names in BINDING.items():
        merged = {e.name for e in suite_expectations(canonical.datasets[dataset], suites[dataset])}
        assert names <= merged, dataset


def test_every_expectation_speaks_portuguese_to_hospital_it(canonical, suites):
    for name, suite in suites.items():
        for exp in suite_expectations(canonical.datasets[name], suite):
            assert exp.description and exp.fix_hint, f"{name}.{exp.name}"


def test_row_count_holds_erp_loads_but_not_platform_usage(catalog):
    for name, checks in catalog.checks.items():
        row_count = next(e for e in checks if e.name == "row_count_not_zero")
        assert row_count.level == "dataset"
        assert row_count.blocking is (name != "platform_usage")


def one(**fields) -> SuiteSpec:
    return SuiteSpec(
        dataset="visits",
        expectations=[
            ExpectationSpec(
                name="ok", type="expect_column_values_to_not_be_null", kwargs={"column": "a"}
            ),
            ExpectationSpec(name="x", **fields),
        ],
    )


@pytest.mark.parametrize(
    "fields, where, words",
    [
        (
            {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "a"}},
            "expectations.1.type",
            "no expectation type",
        ),
        (
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "a", "colour": "red"},
            },
            "expectations.1.kwargs",
            "colour",
        ),
        (
            {"type": "expect_column_values_to_not_be_null", "kwargs": {}},
            "expectations.1.kwargs",
            "column",
        ),
        (
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "a", "max_value": "soon"},
            },
            "expectations.1.kwargs",
            "max_value",
        ),
        (
            {
                "type": "expect_column_values_to_match_regex",
                "kwargs": {"column": "a", "regex": "(unclosed"},
            },
            "expectations.1.kwargs",
            "regular expression",
        ),
        (
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
            "expectations.1.level",
            "level: dataset",
        ),
        (
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "a"},
                "value_set_from": "encounters",
            },
            "expectations.1.value_set_from",
            "<dataset>.<column>",
        ),
        (
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "a", "value_set": [1]},
                "value_set_from": "a.b",
            },
            "expectations.1.value_set_from",
            "not both",
        ),
        (
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "a"},
                "value_set_from": "a.b",
            },
            "expectations.1.value_set_from",
            "no value_set",
        ),
    ],
)
def test_a_broken_expectation_names_file_and_field(fields, where, words):
    with pytest.raises(ConfigError) as err:
        check_suite(one(**fields), PATH)
    assert err.value.file == str(PATH)
    assert err.value.field == where
    assert words in err.value.message
    assert str(PATH) in str(err.value)


def test_value_set_from_must_name_a_canonical_column(canonical):
    suite = one(
        type="expect_column_values_to_be_in_set",
        kwargs={"column": "a"},
        value_set_from="encounters.visit_no",
    )
    with pytest.raises(ConfigError) as err:
        check_suite(suite, PATH, canonical)
    assert err.value.field == "expectations.1.value_set_from"
    check_suite(
        one(
            type="expect_column_values_to_be_in_set",
            kwargs={"column": "a"},
            value_set_from="encounters.encounter_id",
        ),
        PATH,
        canonical,
    )


def test_now_and_value_sets_are_accepted_before_they_are_known():
    check_suite(
        one(type="expect_column_values_to_be_between", kwargs={"column": "a", "max_value": "$now"}),
        PATH,
    )
    check_suite(
        one(
            type="expect_column_values_to_be_in_set",
            kwargs={"column": "a"},
            value_set_from="encounters.encounter_id",
        ),
        PATH,
    )
