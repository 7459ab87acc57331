"""What a suite run tells the pipeline: one outcome per check, never a column value.

`CheckOutcome` is a check as the validation saw it (with the failing rows' ids, which the
quarantine split needs); `CheckResult` is the same check as the warehouse keeps it, and the
one shape the report, `upflux status`, the state store and Dagster read.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from upflux_etl.catalog.models import ExpectationSpec

ROW = "row"
DATASET = "dataset"
ROW_ID = "_row_id"  # the staged frame's unique row key

# A check's status (see quality/status.py); `passed` stays for readers that predate it.
PASSED = "passed"
FAILED = "failed"
NOT_APPLICABLE = "not_applicable"
ERROR = "error"
STATUSES = (PASSED, FAILED, NOT_APPLICABLE, ERROR)


def derived_status(passed: bool, error: str | None) -> str:
    """The status of a check recorded before statuses existed: from `passed` and `error`."""
    if error is not None:
        return ERROR
    return PASSED if passed else FAILED


@dataclass(frozen=True)
class CheckResult:
    """The stored result of one check on one load of one dataset.

    Attributes:
        dataset: the canonical dataset checked.
        name: the check's name (the Dagster asset-check name).
        level: "row" (failing rows are quarantined) or "dataset" (judged on the whole load).
        blocking: a failing blocking check holds the load (dataset level only).
        passed: row level: no failing row; dataset level: Great Expectations' success.
        failing_count: rows that failed (0 when the expectation does not count rows).
        element_count: rows checked (the frame's row count when GX does not report it).
        error: why the check could not run (it then counts as failed), without data values.
        description: what the check means, in Portuguese, for hospital IT.
        fix_hint: what to fix in the ERP, in Portuguese.
        expectation_type: the Great Expectations expectation type ("" when not recorded).
        status: passed, failed, not_applicable or error ("" -> derived from passed/error).
        observed: a dataset-level check's observed value (share, row count), else None.
        expected: a dataset-level check's bounds as text ("≥ 0.5"), else None.
    """

    dataset: str
    name: str
    level: str
    blocking: bool
    passed: bool
    failing_count: int
    element_count: int
    error: str | None
    description: str
    fix_hint: str
    expectation_type: str = ""
    status: str = ""
    observed: float | None = None
    expected: str | None = None

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", derived_status(self.passed, self.error))

    @property
    def failing_share(self) -> float:
        """Share of the checked rows that failed (0.0 for an empty load)."""
        return self.failing_count / self.element_count if self.element_count else 0.0

    def as_dict(self, keys: tuple[str, ...]) -> dict:
        """The fields named by `keys`, in that order (the JSON shapes readers keep stable)."""
        return {key: getattr(self, key) for key in keys}


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one expectation on one load of one dataset, as the validation saw it.

    Attributes:
        name: the check's name (the Dagster asset-check name).
        dataset: the canonical dataset checked.
        level: "row" or "dataset" (see `CheckResult`).
        blocking: a failing blocking check holds the load (dataset level only).
        passed: row level: no failing row; dataset level: Great Expectations' success.
        failing_count: rows that failed (0 when the expectation does not count rows).
        element_count: rows checked (the frame's row count when GX does not report it).
        failing_row_ids: `_row_id` of the failing rows (row level), () otherwise.
        description: what the check means, in Portuguese, for hospital IT.
        fix_hint: what to fix in the ERP, in Portuguese.
        expectation_type: the Great Expectations expectation type.
        error: why the check could not run (status error), without data values.
        status: passed, failed, not_applicable or error ("" -> derived from passed/error).
        observed: a dataset-level check's observed value, else None.
        expected: a dataset-level check's bounds as text, else None.
    """

    name: str
    dataset: str
    level: str
    blocking: bool
    passed: bool
    failing_count: int
    element_count: int
    failing_row_ids: tuple[int, ...]
    description: str
    fix_hint: str
    expectation_type: str
    error: str | None = None
    status: str = ""
    observed: float | None = None
    expected: str | None = None

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", derived_status(self.passed, self.error))

    @classmethod
    def of(cls, spec: ExpectationSpec, dataset: str, **figures: Any) -> CheckOutcome:
        """An expectation's outcome: name, level, texts and type from `spec`.

        `figures`: the rest (passed, counts, row ids, error, status, observed, expected).
        """
        figures.setdefault("failing_row_ids", ())
        return cls(
            name=spec.name,
            dataset=dataset,
            level=spec.level,
            blocking=spec.blocking,
            description=spec.description,
            fix_hint=spec.fix_hint,
            expectation_type=spec.type,
            **figures,
        )

    @property
    def failing_share(self) -> float:
        """Share of the checked rows that failed (0.0 for an empty load)."""
        return self.result().failing_share

    def result(self) -> CheckResult:
        """The check as the warehouse keeps it: everything but the failing rows' ids."""
        return CheckResult(**{f.name: getattr(self, f.name) for f in fields(CheckResult)})


@dataclass(frozen=True)
class SuiteOutcome:
    """Every check of one dataset's suite on one load."""

    dataset: str
    checks: tuple[CheckOutcome, ...]

    def quarantined_row_ids(self) -> dict[int, tuple[str, ...]]:
        """Row id -> names of the row-level checks it failed (in suite order)."""
        reasons: dict[int, list[str]] = {}
        for check in self.checks:
            if check.level != ROW:
                continue
            for row_id in check.failing_row_ids:
                reasons.setdefault(row_id, []).append(check.name)
        return {row_id: tuple(names) for row_id, names in reasons.items()}

    def blocking_failures(self) -> tuple[CheckOutcome, ...]:
        """What holds the load: failed dataset-level blocking checks, and any check in error."""
        return tuple(
            c
            for c in self.checks
            if c.status == ERROR or (c.level == DATASET and c.blocking and c.status == FAILED)
        )

    def results(self) -> tuple[CheckResult, ...]:
        """Every check as the warehouse keeps it."""
        return tuple(check.result() for check in self.checks)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)
