"""A dataset larger than DuckDB's memory_limit allows in memory is protected, landed,
validated (SQL-compiled suite: uniqueness, pairs, bounds, proportions) and split within it.

The work runs in a child process so its peak RSS is its own. The same validation without
a spill folder runs out of memory: proof the data does not fit under the limit.
"""

from __future__ import annotations

import json
import resource
import sys
from datetime import UTC, datetime
from pathlib import Path

ROWS = 3_000_000
BATCH = 100_000
LIMIT_MB = 64


def test_a_dataset_larger_than_the_memory_limit_loads_and_validates_within_it(tmp_path):
    from tests.support.workers import worker_report  # not at the top: this file is also the worker

    report = worker_report(__file__, tmp_path, timeout=1800)
    assert "Out of Memory" in report["without_spill"], report
    assert report["ledger"]["extracted"] == ROWS
    assert report["ledger"]["quarantined"] == report["failing"] > 0
    assert report["statuses"] == {
        "id_unique": "failed",
        "b_after_a": "failed",
        "v_between": "passed",
        "v_mostly_filled": "passed",
    }
    assert report["failing_by_check"]["id_unique"] == 20  # ten ids, each twice
    assert report["statuses"]["v_mostly_filled"] == "passed"
    # Above the baseline (Python, DuckDB, pyarrow and GX loaded): DuckDB's limit plus what
    # lives outside it (Arrow batches in flight and pyarrow's pool, the pseudonymisation's
    # per-batch connection, the failing ids) — well under the data set's size in memory
    # (over 200 MB in DuckDB's own columns, several times that as a pandas frame).
    grown_mb = (report["peak_kb"] - report["baseline_kb"]) / 1024
    assert grown_mb < LIMIT_MB * 4, report


def _spec():
    from upflux_etl.catalog.models import DatasetSpec, ExpectationSpec

    dataset = DatasetSpec.model_validate(
        {
            "name": "big",
            "description": "x",
            "primary_key": ["id"],
            "incremental_column": "a",
            "columns": {
                "id": {"type": "string"},
                "patient_key": {"type": "string", "pii": "pseudonym"},
                "a": {"type": "timestamp"},
                "b": {"type": "timestamp"},
                "v": {"type": "double"},
            },
        }
    )
    checks = [
        ExpectationSpec(
            name="id_unique",
            type="expect_column_values_to_be_unique",
            kwargs={"column": "id"},
        ),
        ExpectationSpec(
            name="b_after_a",
            type="expect_column_pair_values_a_to_be_greater_than_b",
            kwargs={"column_A": "b", "column_B": "a", "or_equal": True},
        ),
        ExpectationSpec(
            name="v_between",
            type="expect_column_values_to_be_between",
            kwargs={"column": "v", "min_value": 0},
        ),
        ExpectationSpec(
            name="v_mostly_filled",
            type="expect_column_proportion_of_non_null_values_to_be_between",
            kwargs={"column": "v", "min_value": 0.5},
            level="dataset",
        ),
    ]
    return dataset, checks


def _batches():
    import numpy as np
    import pyarrow as pa

    base = np.datetime64("2026-01-01T00:00:00", "us")
    for start in range(0, ROWS, BATCH):
        i = np.arange(start, min(start + BATCH, ROWS))
        ids = _text("order-", i % (ROWS - 10) + 10**11)  # ten ids twice: duplicates
        a = base + (i * 1_000_000).astype("timedelta64[us]")
        b = a + np.where(i % 1000 == 0, -1, 3600) * np.timedelta64(1_000_000, "us")
        v = np.where(i % 10 == 0, np.nan, i.astype(float))
        yield pa.RecordBatch.from_pydict(
            {
                "id": ids,
                "patient_key": _text("PRONT-", i + 10**8),
                "a": pa.array(a),
                "b": pa.array(b),
                "v": pa.array(v),
            }
        )


def _text(prefix: str, numbers):
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")


def _worker(folder: Path) -> None:
    import duckdb

    from upflux_etl.extract.pii import protect_batch
    from upflux_etl.quality.sql_suite import SqlSuiteInput, run_sql_suite
    from upflux_etl.warehouse.build import limit_memory
    from upflux_etl.warehouse.merged import merged_query
    from upflux_etl.warehouse.parts import ensure_parts
    from upflux_etl.warehouse.schema import ensure_schema
    from upflux_etl.warehouse.split import split_load
    from upflux_etl.warehouse.staging import land
    from upflux_etl.warehouse.work import attach_work, work_path

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dataset, checks = _spec()
    key = b"memory-test-key-0123456789"
    con = duckdb.connect(str(folder / "build.duckdb"))
    ensure_schema(con)
    ensure_parts(con, folder)
    limit_memory(con, f"{LIMIT_MB}MB", folder / "build.tmp")
    attach_work(con, work_path(folder / "build.duckdb"))  # as build_connection does
    land(con, "big", (protect_batch(b, dataset, key) for b in _batches()))
    con.execute(
        'create table staging."big" as select row_number() over () as _row_id, * from landing."big"'
    )
    now = datetime(2026, 6, 1, tzinfo=UTC)

    def validate():  # on the current `con`
        where = SqlSuiteInput(table='staging."big"', merged=merged_query(con, dataset, None))
        return run_sql_suite(con, checks, dataset="big", now=now, where=where)

    con.close()
    con = duckdb.connect(str(folder / "build.duckdb"), config={"temp_directory": ""})
    con.execute(f"set memory_limit = '{LIMIT_MB}MB'")
    attach_work(con, work_path(folder / "build.duckdb"))
    try:
        errors = [c.error or "" for c in validate().checks]
        without_spill = next((e for e in errors if "Out of Memory" in e), "completed")
    except duckdb.OutOfMemoryException as exc:
        without_spill = f"Out of Memory: {str(exc)[:80]}"
    con.close()
    con = duckdb.connect(str(folder / "build.duckdb"))
    limit_memory(con, f"{LIMIT_MB}MB", folder / "build.tmp")
    attach_work(con, work_path(folder / "build.duckdb"))
    # landing lives in memory for one connection (warehouse/work.py): a load lands, stages,
    # validates and splits on one; this test reconnected, so it lands again (spilling again)
    land(con, "big", (protect_batch(b, dataset, key) for b in _batches()))
    outcome = validate()
    quarantine = outcome.quarantined_row_ids()
    ledger = split_load(con, dataset, load_id="l1", full=True, quarantine=quarantine, hold=False)
    report = {
        "without_spill": without_spill,
        "ledger": ledger.as_dict(),
        "failing": len(quarantine),
        "statuses": {c.name: c.status for c in outcome.checks},
        "failing_by_check": {c.name: c.failing_count for c in outcome.checks},
        "baseline_kb": baseline,
        "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parents[2]))
    _worker(Path(sys.argv[1]))
