"""`meta.check_results`: every check of a load, as `CheckResult`s."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from upflux_etl.quality.outcome import CheckResult
from upflux_etl.warehouse.files import insert_rows, table_columns

# Columns a warehouse may lack: the contract's table predates them (read as null / "").
_LATER_COLUMNS = ("error", "expectation_type", "status", "observed", "expected")


def write_checks(
    con: duckdb.DuckDBPyConnection, load_id: str, dataset: str, checks: Iterable[CheckResult]
) -> None:
    """Replace the check results of one dataset on `load_id`."""
    con.execute(
        "delete from meta.check_results where load_id = ? and dataset = ?", [load_id, dataset]
    )
    insert_rows(
        con,
        "meta.check_results (load_id, dataset, check_name, level, blocking, passed, "
        "failing_count, element_count, description, fix_hint, error, expectation_type, "
        "status, observed, expected)",
        [
            [
                load_id,
                c.dataset,
                c.name,
                c.level,
                c.blocking,
                c.passed,
                c.failing_count,
                c.element_count,
                c.description,
                c.fix_hint,
                c.error,
                c.expectation_type,
                c.status,
                c.observed,
                c.expected,
            ]
            for c in checks
        ],
    )


def read_checks(con: duckdb.DuckDBPyConnection, load_id: str) -> list[CheckResult]:
    """Every check result of one load, by dataset and check name."""
    present = set(table_columns(con, "meta", "check_results"))
    later = ", ".join(f'"{c}"' if c in present else "null" for c in _LATER_COLUMNS)
    rows = con.execute(
        "select dataset, check_name, level, blocking, passed, failing_count, element_count, "
        f"description, fix_hint, {later} from meta.check_results where load_id = ? "
        "order by dataset, check_name",
        [load_id],
    ).fetchall()
    return [_result(*row) for row in rows]


def _result(
    dataset,
    name,
    level,
    blocking,
    passed,
    failing,
    elements,
    description,
    fix_hint,
    error,
    kind,
    status,
    observed,
    expected,
) -> CheckResult:
    return CheckResult(
        dataset=dataset,
        name=name,
        level=level,
        blocking=bool(blocking),
        passed=bool(passed),
        failing_count=int(failing or 0),
        element_count=int(elements or 0),
        error=error,
        description=description or "",
        fix_hint=fix_hint or "",
        expectation_type=kind or "",
        status=status or "",  # "" -> derived from passed/error (rows from older loads)
        observed=None if observed is None else float(observed),
        expected=expected,
    )
