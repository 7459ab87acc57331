"""Data quality: suites of Great Expectations checks, their runs, and Dagster asset checks.

- `generated`: the checks canonical.yaml implies, merged with a suite file's own;
- `suite_check`: load-time check of a suite against Great Expectations;
- `gx_bridge`: `run_suite`, one GX validation of a staged pandas frame;
- `outcome`: `CheckOutcome` and `SuiteOutcome` (counts and row ids, never values), and
  `CheckResult`, a check as the warehouse keeps it and every reader sees it;
- `gx_results`: Great Expectations results -> outcomes, and `safe_error`;
- `dagster_checks`: asset-check specs and results.

Great Expectations takes seconds to import: only `suite_check` and `gx_bridge` import it.
"""
