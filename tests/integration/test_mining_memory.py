"""The nightly's mining of an event log larger than DuckDB's memory_limit stays within it.

A child process (its peak RSS its own) writes a synthetic log of a few million events and
mines it in DuckDB (`sql_summary`) under a small limit, spilling to a folder. The same
mining without a spill folder runs out of memory: proof the log does not fit under the limit.
Eight million events: enough that DuckDB's ordered list aggregate of every case's sequence, or
its `median` of an edge's gaps, over the whole log would not fit under the limit (neither
spills; the scale-40 benchmark's mining ran out of memory on them under 1GB).
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

CASES = 1_000_000
EVENTS_PER_CASE = 8  # 8 million events
LIMIT_MB = 160  # at 100MB the window's 16MB allocations sometimes fail


def test_mining_a_log_larger_than_the_memory_limit_stays_within_it(tmp_path):
    from tests.support.workers import worker_report  # not at the top: this file is also the worker

    report = worker_report(__file__, tmp_path, timeout=600)
    assert "Out of Memory" in report["without_spill"], report
    assert report["cases"] == CASES and report["events"] == CASES * EVENTS_PER_CASE
    assert report["variants"] > 1000, report
    # Above the baseline (Python, DuckDB and pyarrow loaded): DuckDB's limit plus what lives
    # outside it (the distinct variants in Python) — far under the log's size in memory
    # (hundreds of MB in DuckDB's columns, gigabytes as Python objects).
    grown_mb = (report["peak_kb"] - report["baseline_kb"]) / 1024
    assert grown_mb < LIMIT_MB * 3, report


def _write_log(path: Path) -> None:
    """Cases of 8 events: activities drawn so that there are thousands of variants."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = np.random.default_rng(6)
    writer = None
    batch = 50_000
    for start in range(0, CASES, batch):
        case = np.repeat(np.arange(start, start + batch), EVENTS_PER_CASE)
        activity = rng.integers(0, 4, len(case))  # 4**8: tens of thousands of sequences
        activity[::EVENTS_PER_CASE] = 9  # every case starts alike: the common path
        stamps = (case * 3_600 + rng.integers(0, 86_400 * 30, len(case))) * 1_000_000
        table = pa.table(
            {
                "case:concept:name": pc.binary_join_element_wise(
                    "case-", pc.cast(pa.array(case), pa.string()), ""
                ),
                "concept:name": pc.binary_join_element_wise(
                    "activity ", pc.cast(pa.array(activity), pa.string()), ""
                ),
                "time:timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
                "org:resource": pa.nulls(len(case), pa.string()),
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def _mine(parquet: Path, spill: Path | None) -> dict:
    import duckdb

    from upflux_etl.mining.sql_summary import sql_summary

    con = duckdb.connect(config={"temp_directory": str(spill) if spill else ""})
    try:
        con.execute(f"set memory_limit = '{LIMIT_MB}MB'")
        con.execute("set threads = 2")
        return sql_summary(con, parquet)
    finally:
        con.close()


def main(folder: Path) -> None:
    import duckdb

    import upflux_etl.mining.sql_summary  # noqa: F401 - the baseline has the modules loaded

    parquet = folder / "log.parquet"
    _write_log(parquet)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        _mine(parquet, None)
        without_spill = "no error"
    except duckdb.OutOfMemoryException as exc:
        without_spill = str(exc)
    payload = _mine(parquet, folder / "spill")
    sys.stdout.write(
        json.dumps(
            {
                "without_spill": without_spill,
                "cases": payload["cases"],
                "events": payload["events"],
                "variants": payload["variants"],
                "baseline_kb": baseline,
                "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
