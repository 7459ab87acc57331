"""Runs a dataset's expectations with Great Expectations 1.24 on a staged pandas frame.

One ephemeral context and one validation run per call (GX computes shared metrics once).
The frame is indexed by `_row_id` and GX is asked for the COMPLETE result format with
`exclude_unexpected_values`: failing rows come back as `_row_id` values only, never as the
values that failed (which may be personal data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from great_expectations import get_context
from great_expectations.core import ExpectationSuite
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
)
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.expectations.expectation import Expectation

# The internal V1 Validator is what both `Batch.validate` and `ValidationDefinition.run`
# call; using it directly skips a second hash of the whole frame (Batch.validate) and the
# results store (ValidationDefinition). GX is pinned exactly (pyproject.toml).
from great_expectations.validator.v1_validator import Validator

from upflux_etl.catalog.models import ExpectationSpec
from upflux_etl.quality.gx_results import check_outcome
from upflux_etl.quality.outcome import ROW_ID, SuiteOutcome
from upflux_etl.quality.prepare import prepare

# Indices only: `exclude_unexpected_values` drops every failing value; with the frame
# indexed by `_row_id` GX lists the index directly instead of a per-row `.at` lookup.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW_ID],
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
    "include_unexpected_rows": False,
    "partial_unexpected_count": 0,
}
_COLUMN_KWARGS = ("column", "column_A", "column_B")


def run_suite(
    frame: pd.DataFrame,
    expectations: list[ExpectationSpec],
    *,
    dataset: str,
    value_sets: dict[str, list] | None = None,
    now: datetime,
) -> SuiteOutcome:
    """Validate one load of a dataset; one outcome per expectation, in the given order.

    Args:
        frame: the staged frame, with a unique int64 `_row_id` column.
        expectations: the suite (`suite_expectations`), names unique.
        dataset: the canonical dataset's name.
        value_sets: "<dataset>.<column>" -> allowed values, for `value_set_from`.
        now: the load's start time (tz-aware): replaces "$now" in kwargs.

    Returns:
        The outcomes; an expectation GX cannot run is a failed check with its error.

    Raises:
        ValueError: `_row_id` missing or not unique, or `now` without a time zone.
    """
    _check_inputs(frame, now)
    prepared = prepare(frame, expectations, now, value_sets)
    known = _known_names(frame, expectations)
    results: dict[str | None, Any] = {}
    run_error = None
    if prepared.runnable:
        staged = frame.assign(**prepared.flags) if prepared.flags else frame
        try:
            suite_result = validate_frame(staged, prepared.runnable, dataset=dataset)
            for r in suite_result.results:
                config = r.expectation_config
                if config is None:
                    raise RuntimeError("GX returned a result without its expectation")
                results[(config.meta or {}).get("name")] = r
        except Exception as exc:  # noqa: BLE001 - any GX failure must fail the checks, loudly
            run_error = f"{type(exc).__name__}: {exc}"
    checks = tuple(
        check_outcome(
            spec,
            results.get(spec.name),
            dataset=dataset,
            row_count=len(frame),
            error=prepared.errors.get(spec.name) or run_error,
            known_names=known,
        )
        for spec in expectations
    )
    return SuiteOutcome(dataset=dataset, checks=checks)


def validate_frame(
    frame: pd.DataFrame, expectations: list[Expectation], *, dataset: str
) -> ExpectationSuiteValidationResult:
    """One GX validation run of `expectations` on `frame` (ephemeral context, pandas).

    Each expectation's `meta["name"]` identifies its result.
    """
    context = get_context(mode="ephemeral", project_config=_context_config())
    batch_definition = (
        context.data_sources.add_pandas("staged")
        .add_dataframe_asset(dataset)
        .add_batch_definition_whole_dataframe("whole_load")
    )
    validator = Validator(
        batch_definition=batch_definition,
        batch_parameters={"dataframe": _indexed(frame, expectations)},
        result_format=RESULT_FORMAT,
    )
    suite = ExpectationSuite(name=dataset, expectations=expectations)
    return validator.validate_expectation_suite(suite)


def _context_config() -> DataContextConfig:
    return DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )


def _check_inputs(frame: pd.DataFrame, now: datetime) -> None:
    if ROW_ID not in frame.columns:
        raise ValueError(f"the staged frame has no {ROW_ID} column")
    if not frame[ROW_ID].is_unique:
        raise ValueError(f"{ROW_ID} is not unique in the staged frame")
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone (timestamps are tz-aware)")


def _indexed(frame: pd.DataFrame, expectations: list[Expectation]) -> pd.DataFrame:
    """Only the columns the expectations read, indexed by `_row_id` (GX hashes the batch)."""
    columns = _columns_read(expectations)
    if columns is None:
        return frame.set_index(ROW_ID)
    present = [c for c in frame.columns if c in columns and c != ROW_ID]
    return frame[[ROW_ID, *present]].set_index(ROW_ID)


def _columns_read(expectations: list[Expectation]) -> set[str] | None:
    """Columns named in kwargs; None when one may read any column (table shape, row filters)."""
    columns: set[str] = set()
    for exp in expectations:
        kwargs = exp.configuration.kwargs
        if kwargs.get("row_condition") or exp.expectation_type.startswith("expect_table_column"):
            return None
        columns.update(kwargs[k] for k in _COLUMN_KWARGS if isinstance(kwargs.get(k), str))
        for key in ("column_list", "column_set"):
            columns.update(c for c in kwargs.get(key) or [] if isinstance(c, str))
    return columns


def _known_names(frame: pd.DataFrame, expectations: list[ExpectationSpec]) -> set[str]:
    """Names that may appear in an error text: columns and expectation kwargs, not data."""
    names = {str(c) for c in frame.columns}
    for spec in expectations:
        names.update([spec.name, spec.type, spec.value_set_from or ""])
        names.update(str(v) for v in spec.kwargs.values() if isinstance(v, str))
    return names
