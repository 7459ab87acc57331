"""Dagster asset checks from our expectations and outcomes (dagster-ge does not support GX 1.x).

Checks are never Dagster-`blocking`: the pipeline holds a load itself, so downstream assets
still run on the previous publication. A `not_applicable` check is a passed Dagster check
(nothing to judge is not a failure) whose metadata and description say so; an `error` is a
failed one with ERROR severity.
"""

from __future__ import annotations

from collections.abc import Mapping

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey

from upflux_etl.catalog.models import ExpectationSpec
from upflux_etl.quality.outcome import DATASET, ERROR, NOT_APPLICABLE, CheckResult, SuiteOutcome
from upflux_etl.quality.reconciliation import DESCRIPTION, FIX_HINT, RECONCILIATION_CHECK
from upflux_etl.quality.source_index import INDEX_CHECK, INDEX_DESCRIPTION, INDEX_FIX
from upflux_etl.quality.source_schema import DRIFT_CHECK, DRIFT_DESCRIPTION, DRIFT_FIX

NOT_APPLICABLE_TEXT = "Não se aplica nesta carga"


def check_specs(asset_key: AssetKey, expectations: list[ExpectationSpec]) -> list[AssetCheckSpec]:
    """One asset check per expectation, described in Portuguese for hospital IT."""
    return [
        AssetCheckSpec(
            name=exp.name,
            asset=asset_key,
            description=exp.description or exp.name,
            metadata={
                "level": exp.level,
                "blocking": exp.blocking,
                "fix_hint": exp.fix_hint,
                "expectation_type": exp.type,
            },
        )
        for exp in expectations
    ]


def reconciliation_spec(asset_key: AssetKey) -> AssetCheckSpec:
    """The `source_reconciled` check every dataset asset carries (quality/reconciliation.py)."""
    return AssetCheckSpec(
        name=RECONCILIATION_CHECK,
        asset=asset_key,
        description=DESCRIPTION,
        metadata={"level": DATASET, "blocking": False, "fix_hint": FIX_HINT},
    )


def source_check_specs(asset_key: AssetKey) -> list[AssetCheckSpec]:
    """The checks every dataset gets from its source's catalog (schema drift, index)."""
    return [
        AssetCheckSpec(
            name=name,
            asset=asset_key,
            description=description,
            metadata={"level": DATASET, "blocking": False, "fix_hint": fix},
        )
        for name, description, fix in (
            (DRIFT_CHECK, DRIFT_DESCRIPTION, DRIFT_FIX),
            (INDEX_CHECK, INDEX_DESCRIPTION, INDEX_FIX),
        )
    ]


def check_results(
    asset_key: AssetKey,
    outcome: SuiteOutcome,
    open_quarantine: Mapping[str, tuple[int, str]] | None = None,
) -> list[AssetCheckResult]:
    """One result per check of the outcome: counts and shares only, never a column value.

    `open_quarantine`: check name -> (records open in quarantine failing it, the earliest
    first-seen date). A row-level check with open records does not pass, whatever load
    quarantined them: the UI stays red until they are fixed or released.
    """
    if open_quarantine is None:
        return [_result(asset_key, check) for check in outcome.results()]
    return [
        _result(asset_key, check, open_quarantine.get(check.name, (0, "")))
        for check in outcome.results()
    ]


def _open_note(check: CheckResult, opened: tuple[int, str] | None) -> tuple[bool, str, dict]:
    """Passed, description and metadata once the open quarantine is taken into account."""
    if check.level == DATASET or opened is None:
        return check.passed, check.description, {}
    count, since = opened
    metadata = {"quarantine_open": count, "quarantine_open_since": since}
    if not count:
        return check.passed, check.description, metadata
    note = f"{count} registro(s) em quarentena aguardando correção (desde {since[:10]})"
    text = f"{check.description} — {note}" if check.description else note
    return False, text, metadata


def severity(check: CheckResult) -> AssetCheckSeverity:
    """ERROR for a blocking check or one that could not run; WARN otherwise.

    Failing rows are quarantined and the rest of the load published: a warning. A failing
    blocking check holds the load, and a broken check judged nothing: errors.
    """
    if (
        check.status == ERROR
        or check.error is not None
        or (check.level == DATASET and check.blocking)
    ):
        return AssetCheckSeverity.ERROR
    return AssetCheckSeverity.WARN


def _result(
    asset_key: AssetKey, check: CheckResult, opened: tuple[int, str] | None = None
) -> AssetCheckResult:
    passed, description, quarantine = _open_note(check, opened)
    return AssetCheckResult(
        passed=check.status != ERROR and passed,
        asset_key=asset_key,
        check_name=check.name,
        severity=severity(check),
        # An open quarantine turns a passing row check red, with its note; else the status text.
        description=description if passed != check.passed else _description(check),
        metadata={
            **quarantine,
            "status": check.status,
            "observed": check.observed,
            "expected": check.expected,
            "failing_count": check.failing_count,
            "element_count": check.element_count,
            "failing_share": round(check.failing_share, 6),
            "level": check.level,
            "blocking": check.blocking,
            "description": check.description,
            "fix_hint": check.fix_hint,
            "expectation_type": check.expectation_type,
            "error": check.error,
        },
    )


def _description(check: CheckResult) -> str | None:
    if check.status == NOT_APPLICABLE:
        return (
            f"{NOT_APPLICABLE_TEXT}: {check.description}"
            if check.description
            else NOT_APPLICABLE_TEXT
        )
    return check.description or None
