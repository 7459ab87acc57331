"""Data quality: suites of Great Expectations checks, their runs, and Dagster asset checks.

- `generated`: the checks canonical.yaml implies, merged with a suite file's own;
- `suite_check`: load-time check of a suite against Great Expectations;
- `gx_bridge`: `run_suite`, one GX validation of a staged pandas frame;
- `types`: `CheckOutcome` and `SuiteOutcome` (counts and row ids, never values);
- `dagster_checks`: asset-check specs and results.

Great Expectations takes seconds to import: only `suite_check` and `gx_bridge` import it.
"""
