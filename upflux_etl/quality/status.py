"""A check's status from what was measured: passed, failed, not_applicable or error.

- `not_applicable`: nothing to judge: the load has no rows (row level), the published
  dataset is empty, or the field is not populated by this hospital at all (every value null
  in the dataset as published). Shown as such, never as a failure.
- `failed`: a row-level check with failing rows (never with zero), or a dataset-level
  check whose `observed` value is outside its `expected` bounds.
- `error`: the check itself broke; it holds the dataset like a blocking failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from upflux_etl.catalog.models import ExpectationSpec
from upflux_etl.quality.outcome import (
    ERROR,
    FAILED,
    NOT_APPLICABLE,
    PASSED,
    CheckOutcome,
)

if TYPE_CHECKING:
    from upflux_etl.quality.sql_compile import AggregateCheck
    from upflux_etl.quality.sql_suite import Measured

ROW_COUNT_TYPES = "expect_table_row_count"


def judge_row(
    spec: ExpectationSpec, dataset: str, measured: Measured, populated: bool | None
) -> CheckOutcome:
    """A row-level check: failed iff rows failed; not_applicable when nothing was judged.

    Args:
        spec: the expectation.
        dataset: the dataset's name.
        measured: its counts and failing ids on the load.
        populated: whether its columns hold any value in the dataset as published (None:
            unknown); only consulted when no row of the load was judged.
    """
    failing = len(measured.failing_row_ids)
    if failing:
        status = FAILED
    elif measured.element_count == 0 or (measured.judged == 0 and populated is False):
        status = NOT_APPLICABLE
    else:
        status = PASSED
    return _outcome(spec, dataset, status, failing, measured.element_count, measured)


def judge_aggregate(
    spec: ExpectationSpec,
    dataset: str,
    measured: Measured,
    check: AggregateCheck,
    populated: bool | None,
) -> CheckOutcome:
    """A dataset-level check judged on the dataset as published, with observed and expected.

    Row counts are always judged (an empty dataset is what they catch); other aggregates
    are not_applicable on an empty dataset or an unpopulated field.
    """
    counts_rows = spec.type.startswith(ROW_COUNT_TYPES)
    if not counts_rows and (measured.element_count == 0 or populated is False):
        status = NOT_APPLICABLE
    else:
        status = PASSED if measured.success else FAILED
    return _outcome(
        spec,
        dataset,
        status,
        0,
        measured.element_count,
        measured,
        expected=check.expected(),
    )


def errored(spec: ExpectationSpec, dataset: str, total: int, error: str) -> CheckOutcome:
    """A check that could not run: status error, judged nothing."""
    return CheckOutcome.of(
        spec,
        dataset,
        passed=False,
        failing_count=0,
        element_count=total,
        error=error,
        status=ERROR,
    )


def _outcome(
    spec: ExpectationSpec,
    dataset: str,
    status: str,
    failing: int,
    elements: int,
    measured: Measured,
    expected: str | None = None,
) -> CheckOutcome:
    return CheckOutcome.of(
        spec,
        dataset,
        passed=status in (PASSED, NOT_APPLICABLE),
        failing_count=failing,
        element_count=elements,
        failing_row_ids=measured.failing_row_ids,
        status=status,
        observed=measured.observed,
        expected=expected,
    )
