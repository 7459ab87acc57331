"""Checks generated from the canonical model, and their merge with a suite file."""

from __future__ import annotations

import pytest

from upflux_etl.catalog.checks import generated_expectations, suite_expectations
from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import DatasetSpec, ExpectationSpec, SuiteSpec

VISITS = DatasetSpec.model_validate(
    {
        "name": "visits",
        "description": "x",
        "min_rows": 0,
        "primary_key": ["visit_id"],
        "incremental_column": "updated_at",
        "columns": {
            "visit_id": {"type": "string", "required": True},
            "cpf": {"type": "string", "pii": "pseudonym", "validate": "cpf"},
            "colour": {"type": "string", "map": "triage_colour", "values": ["red", "green"]},
            "module": {"type": "string", "values": ["a", "b"]},
            "amount": {"type": "decimal"},
            "updated_at": {"type": "timestamp", "required": True},
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


def by_name(expectations: list[ExpectationSpec]) -> dict[str, ExpectationSpec]:
    return {e.name: e for e in expectations}


def test_every_canonical_rule_becomes_a_named_row_check():
    got = by_name(generated_expectations(VISITS))
    assert list(got) == [
        "visit_id_unique",
        "values_readable",
        "visit_id_not_null",
        "cpf_check_digits",
        "colour_mapped",
        "module_in_domain",
        "amount_parseable",
        "updated_at_not_null",
        "updated_at_parseable",
    ]
    assert got["cpf_check_digits"].kwargs == {"column": "cpf_valid", "value_set": [False]}
    assert got["colour_mapped"].kwargs == {"column": "_colour_unmapped", "value_set": [True]}
    assert got["amount_parseable"].kwargs == {"column": "_amount_unparseable", "value_set": [True]}
    assert got["module_in_domain"].kwargs == {"column": "module", "value_set": ["a", "b"]}
    assert all(e.level == "row" and not e.blocking for e in got.values())


def test_descriptions_and_hints_are_portuguese_for_hospital_it():
    got = by_name(generated_expectations(VISITS))
    assert got["cpf_check_digits"].description == "CPF com dígitos verificadores inválidos"
    assert got["visit_id_not_null"].description == "Campo obrigatório 'visit_id' vazio"
    assert "mapeamento 'triage_colour'" in got["colour_mapped"].fix_hint
    assert all(e.description and e.fix_hint for e in got.values())


def test_a_compound_key_is_checked_as_one():
    got = by_name(generated_expectations(ROOMS))
    assert got["primary_key_unique"].type == "expect_compound_columns_to_be_unique"
    assert got["primary_key_unique"].kwargs == {"column_list": ["room_id", "valid_from"]}
    assert "room_id_unique" not in got


def test_the_suite_file_follows_the_generated_checks():
    suite = SuiteSpec(
        dataset="visits",
        expectations=[
            ExpectationSpec(
                name="amount_positive",
                type="expect_column_values_to_be_between",
                kwargs={"column": "amount", "min_value": 0},
            )
        ],
    )
    names = [e.name for e in suite_expectations(VISITS, suite)]
    assert names[-1] == "amount_positive"
    assert names[:-1] == [e.name for e in generated_expectations(VISITS)]
    assert suite_expectations(VISITS, None) == generated_expectations(VISITS)


def test_a_name_clash_with_a_generated_check_names_file_and_field():
    suite = SuiteSpec(
        dataset="visits",
        expectations=[
            ExpectationSpec(
                name="ok", type="expect_column_values_to_not_be_null", kwargs={"column": "amount"}
            ),
            ExpectationSpec(
                name="cpf_check_digits",
                type="expect_column_values_to_not_be_null",
                kwargs={"column": "cpf"},
            ),
        ],
    )
    with pytest.raises(ConfigError) as err:
        suite_expectations(VISITS, suite, "expectations/visits.yaml")
    assert err.value.file == "expectations/visits.yaml"
    assert err.value.field == "expectations.1.name"


def test_a_name_used_twice_in_the_file_names_the_second():
    twice = ExpectationSpec(
        name="same", type="expect_column_values_to_not_be_null", kwargs={"column": "amount"}
    )
    with pytest.raises(ConfigError) as err:
        suite_expectations(VISITS, SuiteSpec(dataset="visits", expectations=[twice, twice]))
    assert err.value.file.endswith("visits.yaml")
    assert err.value.field == "expectations.1.name"


def test_a_suite_for_another_dataset_is_refused():
    with pytest.raises(ConfigError) as err:
        suite_expectations(VISITS, SuiteSpec(dataset="rooms"))
    assert err.value.field == "dataset"


def test_references_and_min_rows_generate_their_checks_once():
    exams = DatasetSpec.model_validate(
        {
            "name": "exams",
            "label": "Exames",
            "description": "x",
            "primary_key": ["order_id"],
            "incremental_column": "order_id",
            "min_rows": 5,
            "columns": {
                "order_id": {"type": "string", "required": True},
                "encounter_id": {"type": "string", "references": "encounters.encounter_id"},
            },
        }
    )
    got = by_name(generated_expectations(exams, {"encounters": "Atendimentos"}))
    ref = got["exams_encounter_exists"]
    assert ref.value_set_from == "encounters.encounter_id" and ref.level == "row"
    assert "atendimentos" in ref.description
    count = got["row_count_at_least_5"]
    assert count.level == "dataset" and count.blocking and count.kwargs == {"min_value": 5}
    one = generated_expectations(
        exams.model_copy(update={"min_rows": 1, "min_rows_blocking": False})
    )
    assert not by_name(one)["row_count_not_zero"].blocking
