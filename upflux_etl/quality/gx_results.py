"""Great Expectations results turned into outcomes that carry counts and row ids, not values."""

from __future__ import annotations

import re
from typing import Any

from upflux_etl.catalog.models import ExpectationSpec
from upflux_etl.quality.outcome import ROW, ROW_ID, CheckOutcome

_QUOTED = re.compile(r"""'[^']*'|"[^"]*\"""")
_LONG_NUMBER = re.compile(r"\d[\d.\-/]{4,}\d")
_MAX_ERROR = 300
ROW_COUNT_TYPES = "expect_table_row_count"


def check_outcome(
    spec: ExpectationSpec,
    result: Any,
    *,
    dataset: str,
    row_count: int,
    error: str | None = None,
    known_names: set[str] | frozenset[str] = frozenset(),
) -> CheckOutcome:
    """The outcome of one expectation from its GX result (None when it did not run).

    Args:
        spec: the expectation.
        result: its `ExpectationValidationResult`, or None.
        dataset: the dataset's name.
        row_count: rows in the load (element count when GX gives none).
        error: why it could not run, if known.
        known_names: column names and config strings that may stay in an error text.
    """
    if error is None and result is None:
        error = "Great Expectations returned no result for this expectation"
    if error is None:
        error = _raised(result)
    if error is not None:
        error = safe_error(error, known_names)
        return _outcome(spec, dataset, passed=False, element_count=row_count, error=error)
    details = result.result or {}
    failing = int(details.get("unexpected_count") or 0)
    elements = int(details.get("element_count", row_count) or 0)
    if spec.level != ROW:
        # An empty load is judged by the row-count checks alone (GX fails aggregates on it).
        empty_pass = row_count == 0 and not spec.type.startswith(ROW_COUNT_TYPES)
        return _outcome(spec, dataset, bool(result.success) or empty_pass, failing, elements)
    row_ids = _row_ids(details)
    if len(row_ids) != failing:
        return _outcome(
            spec, dataset, False, failing, elements, error="GX did not list every failing row"
        )
    return _outcome(spec, dataset, failing == 0, failing, elements, row_ids)


def safe_error(
    exc: BaseException | str, known_names: set[str] | frozenset[str] = frozenset()
) -> str:
    """An error text safe to store and show: quoted data and long numbers removed.

    Quoted names in `known_names` (columns, kwargs) are kept: they help and identify no one.
    """
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    text = _QUOTED.sub(lambda m: m.group(0) if m.group(0)[1:-1] in known_names else "'…'", text)
    text = _LONG_NUMBER.sub("…", text)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


def _outcome(
    spec: ExpectationSpec,
    dataset: str,
    passed: bool,
    failing_count: int = 0,
    element_count: int = 0,
    row_ids: tuple[int, ...] = (),
    error: str | None = None,
) -> CheckOutcome:
    return CheckOutcome.of(
        spec,
        dataset,
        passed=passed and error is None,
        failing_count=failing_count,
        element_count=element_count,
        failing_row_ids=row_ids,
        error=error,
    )


def _raised(result: Any) -> str | None:
    """The exception GX caught for this expectation, if any.

    A suite run reports `{"raised_exception": ...}` or one such dict per failed metric.
    """
    info = result.exception_info or {}
    infos = (
        [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    )
    messages = [
        i.get("exception_message") or "unknown error" for i in infos if i.get("raised_exception")
    ]
    if not messages:
        return None
    return "; ".join(dict.fromkeys(str(m) for m in messages))


def _row_ids(details: dict[str, Any]) -> tuple[int, ...]:
    """`_row_id`s from `unexpected_index_list` (`[{"_row_id": [..]}]` with excluded values)."""
    ids: list[int] = []
    for entry in details.get("unexpected_index_list") or []:
        value = entry.get(ROW_ID, []) if isinstance(entry, dict) else entry
        ids.extend(int(v) for v in (value if isinstance(value, list) else [value]))
    return tuple(ids)
