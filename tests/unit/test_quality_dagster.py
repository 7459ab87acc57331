"""The bridge to Dagster asset checks: one spec and one result per expectation."""

from __future__ import annotations

import dagster as dg

from upflux_etl.catalog.models import ExpectationSpec
from upflux_etl.quality.dagster_checks import check_results, check_specs
from upflux_etl.quality.outcome import CheckOutcome, SuiteOutcome

KEY = dg.AssetKey(["hospital_demo", "datasets", "encounters"])
EXPECTATIONS = [
    ExpectationSpec(
        name="admitted_at_not_null",
        type="expect_column_values_to_not_be_null",
        kwargs={"column": "admitted_at"},
        description="Campo obrigatório 'admitted_at' vazio",
        fix_hint="Preencher.",
    ),
    ExpectationSpec(
        name="row_count_not_zero",
        type="expect_table_row_count_to_be_between",
        kwargs={"min_value": 1},
        level="dataset",
        blocking=True,
        description="Nenhum atendimento",
        fix_hint="Verificar.",
    ),
    ExpectationSpec(
        name="mostly_filled",
        type="expect_column_proportion_of_non_null_values_to_be_between",
        kwargs={"column": "cid10", "min_value": 0.5},
        level="dataset",
        description="Poucos CID",
        fix_hint="Conferir.",
    ),
    ExpectationSpec(
        name="cid10_format",
        type="expect_column_values_to_match_regex",
        kwargs={"column": "cid10", "regex": "^[A-Z]"},
        description="CID-10 fora do formato",
        fix_hint="Corrigir.",
    ),
]


def outcome_of(
    spec: ExpectationSpec, passed: bool, failing: int = 0, error: str | None = None
) -> CheckOutcome:
    return CheckOutcome(
        name=spec.name,
        dataset="encounters",
        level=spec.level,
        blocking=spec.blocking,
        passed=passed,
        failing_count=failing,
        element_count=40,
        failing_row_ids=tuple(range(failing)) if spec.level == "row" else (),
        description=spec.description,
        fix_hint=spec.fix_hint,
        expectation_type=spec.type,
        error=error,
    )


def test_one_spec_per_expectation_described_in_portuguese_and_never_dagster_blocking():
    specs = check_specs(KEY, EXPECTATIONS)
    assert [s.name for s in specs] == [e.name for e in EXPECTATIONS]
    assert all(s.asset_key == KEY and not s.blocking for s in specs)
    row_count = specs[1]
    assert row_count.description == "Nenhum atendimento"
    assert row_count.metadata["level"] == "dataset" and row_count.metadata["blocking"] is True


def test_results_pass_fail_and_severity():
    outcome = SuiteOutcome(
        "encounters",
        (
            outcome_of(EXPECTATIONS[0], passed=False, failing=4),
            outcome_of(EXPECTATIONS[1], passed=False),
            outcome_of(EXPECTATIONS[2], passed=False),
            outcome_of(EXPECTATIONS[3], passed=True),
        ),
    )
    results = check_results(KEY, outcome)
    assert [r.check_name for r in results] == [s.name for s in check_specs(KEY, EXPECTATIONS)]
    assert [r.passed for r in results] == [False, False, False, True]
    assert [r.severity for r in results] == [
        dg.AssetCheckSeverity.WARN,  # failing rows are quarantined, the rest published
        dg.AssetCheckSeverity.ERROR,  # a blocking dataset check holds the load
        dg.AssetCheckSeverity.WARN,  # non-blocking dataset check
        dg.AssetCheckSeverity.WARN,
    ]
    assert all(r.asset_key == KEY for r in results)


def test_result_metadata_is_counts_shares_and_texts():
    results = check_results(
        KEY, SuiteOutcome("encounters", (outcome_of(EXPECTATIONS[0], passed=False, failing=4),))
    )
    meta = {k: v.value for k, v in results[0].metadata.items()}
    assert meta == {
        "status": "failed",
        "observed": None,
        "expected": None,
        "failing_count": 4,
        "element_count": 40,
        "failing_share": 0.1,
        "level": "row",
        "blocking": False,
        "description": "Campo obrigatório 'admitted_at' vazio",
        "fix_hint": "Preencher.",
        "expectation_type": "expect_column_values_to_not_be_null",
        "error": None,
    }


def test_a_check_that_could_not_run_is_an_error_with_its_reason():
    results = check_results(
        KEY,
        SuiteOutcome(
            "encounters", (outcome_of(EXPECTATIONS[3], passed=False, error="column missing"),)
        ),
    )
    assert results[0].severity == dg.AssetCheckSeverity.ERROR
    assert results[0].metadata["error"].value == "column missing"


def test_not_applicable_passes_and_says_so_and_error_fails_with_error_severity():
    from dataclasses import replace

    na = replace(outcome_of(EXPECTATIONS[2], passed=True), status="not_applicable")
    broken = replace(outcome_of(EXPECTATIONS[3], passed=False, error="boom"), status="error")
    results = check_results(KEY, SuiteOutcome("encounters", (na, broken)))
    assert results[0].passed and results[0].description.startswith("Não se aplica")
    assert results[0].metadata["status"].value == "not_applicable"
    assert not results[1].passed and results[1].severity == dg.AssetCheckSeverity.ERROR
    assert results[1].metadata["status"].value == "error"
