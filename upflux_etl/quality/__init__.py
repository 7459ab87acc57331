"""Data quality: suites of Great Expectations checks, their runs, and Dagster asset checks.

- `gx_registry`: writes `catalog/expectation_types.json` (what the pinned GX knows), which
  validation reads instead of importing GX;
- `gx_bridge`: `run_suite`, one GX validation of a staged pandas frame;
- `types`: `CheckOutcome` and `SuiteOutcome` (counts and row ids, never values);
- `dagster_checks`: asset-check specs and results.

Great Expectations takes seconds to import: only `gx_registry` and `gx_bridge` (with `gx_expectations`, `prepare`) import it.
"""
