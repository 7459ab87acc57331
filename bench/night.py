"""One night of 20 demo hospitals of mixed sizes on the production instance (deploy/dagster.yaml):
PostgreSQL storage on this machine, the queue and its limits, `dagster-daemon run`.

Usage: python bench/night.py [--hospitals 20] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
Prints the wall time against the sum of the runs' times, the peak concurrency and the lock
errors, as a markdown block for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = [  # (beds, months, scale): small, medium and larger hospitals, in turn
    (20, 1, 0.1),
    (40, 1, 0.2),
    (60, 2, 0.3),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hospitals", type=int, default=20)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="upflux_night_"))
    os.environ["UPFLUX_CLIENTS_DIR"] = str(work / "clients")
    os.environ["UPFLUX_DATA_DIR"] = str(work / "data")
    os.environ.pop("UPFLUX_STATE_URL", None)
    (work / "clients").mkdir()

    import dagster as dg

    from tests.support.dagster_queue import (
        daemon,
        dagster_database,
        peak_concurrency,
        production_home,
        submit_jobs,
        wait_for_runs,
    )
    from tests.support.demo import write_demo_client
    from upflux_etl.catalog.reader import read_catalog, read_client
    from upflux_etl.demo import build_demo_erp
    from upflux_etl.settings import Settings

    settings = Settings.from_env()
    catalog = read_catalog(settings)
    started = time.monotonic()
    stems = [f"h{i:02d}" for i in range(1, args.hospitals + 1)]
    for i, stem in enumerate(stems):
        beds, months, scale = SIZES[i % len(SIZES)]
        path = write_demo_client(settings.clients_dir, stem, beds=beds, months=months, scale=scale)
        build_demo_erp(settings, read_client(path, catalog))
    print(f"built {len(stems)} demo ERPs in {time.monotonic() - started:.0f} s", flush=True)

    with dagster_database(args.pg) as pg_url:
        home = production_home(work / "dagster_home", pg_url)
        with dg.DagsterInstance.get() as instance, daemon(home, work / "daemon.log"):
            night = time.monotonic()
            run_ids = submit_jobs(instance, [f"{s}__nightly" for s in stems])
            spans = wait_for_runs(instance, run_ids, timeout_s=3600)
            wall = time.monotonic() - night
            lock_errors = sum(
                1
                for r in run_ids
                for e in instance.all_logs(r)
                if e.dagster_event
                and e.dagster_event.is_failure
                and "lock" in (e.dagster_event.message or "").lower()
            )
    total = sum(s.end - s.start for s in spans)
    failed = [s.job for s in spans if s.status != "SUCCESS"]
    first_start = min(s.start for s in spans)
    print(
        f"""
Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()},
Python {platform.python_version()}; date {time.strftime("%Y-%m-%d %H:%M %Z")}.

| measure | value |
|---|---:|
| hospitals (runs) | {len(spans)} |
| succeeded | {len(spans) - len(failed)} |
| wall time, submit to last run's end | {wall:.0f} s |
| first run started after submit | {first_start - (time.time() - wall):.0f} s |
| sum of the runs' times | {total:.0f} s |
| sum / wall (parallelism achieved) | {total / wall:.2f} |
| peak concurrency | {peak_concurrency(spans)} |
| lock errors | {lock_errors} |
| failed runs | {", ".join(failed) or "none"} |
""",
        flush=True,
    )


if __name__ == "__main__":
    main()
