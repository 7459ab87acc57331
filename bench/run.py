"""Benchmarks: our extraction path against its baseline and the database's own export.

Each measurement runs in a fresh subprocess so its peak memory (ru_maxrss) is its own.
Usage: python bench/run.py [--scale 10] [--pg postgresql://postgres@127.0.0.1:5432/test]
       python bench/run.py --demo        (times `upflux demo` end to end)
Prints seconds, rows/s, peak MB and ratios; copy the table into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import psql_copy  # noqa: E402

SCHEMA = "bench_erp"  # --schema: another (e.g. one a scale.py or test left, with --reuse)


def exams_query() -> str:
    """The ERP profile's standard exams query (joins, casts), as PostgreSQL runs it."""
    from upflux_etl.catalog.reader import read_catalog
    from upflux_etl.extract.sql import translate
    from upflux_etl.settings import Settings

    sql = read_catalog(Settings.from_env()).profiles["hospitalis"].queries["exams"]
    return translate(sql, "postgres", "postgres")


def child(kind: str, url: str, out: str) -> None:
    """Run one measured path (in a subprocess) and print a JSON line."""
    import resource

    started = time.perf_counter()
    rows = 0
    if kind == "ours":
        import duckdb

        from upflux_etl.catalog.reader import read_canonical
        from upflux_etl.extract.pii import protect_batch
        from upflux_etl.extract.source import open_batches
        from upflux_etl.warehouse.schema import ensure_schema
        from upflux_etl.warehouse.staging import land
        from upflux_etl.warehouse.work import attach_work, work_path

        spec = read_canonical(ROOT).datasets["exams"]
        con = duckdb.connect(out)
        ensure_schema(con)
        attach_work(con, work_path(Path(out)))  # landing as a load lands: warehouse/work.py
        with open_batches(url, exams_query(), schema=SCHEMA, batch_rows=100_000) as batches:
            rows = land(con, "exams", (protect_batch(b, spec, b"k" * 32) for b in batches))
        con.close()
    elif kind == "pandas":
        import pandas as pd
        import sqlalchemy as sa

        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            conn.exec_driver_sql(f"set search_path to {SCHEMA}")
            rows = len(pd.read_sql(exams_query(), conn))
    elif kind == "copy":
        cmd = psql_copy(url, exams_query(), SCHEMA)
        with open(os.devnull, "wb") as null:
            subprocess.run(cmd, stdout=null, check=True)
        rows = -1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if kind == "copy":
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {"kind": kind, "seconds": time.perf_counter() - started, "rows": rows, "peak_mb": peak}
        )
    )


def measure(kind: str, url: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, __file__, "--child", kind, "--pg", url, "--schema", SCHEMA]
        out = subprocess.run(
            [*argv, "--out", f"{tmp}/w.duckdb"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


def extraction(url: str, scale: float, reuse: bool) -> None:
    from hospitalis_demo import generate

    with tempfile.TemporaryDirectory() as tmp:
        if reuse:
            print(f"reusing the ERP already in PostgreSQL schema {SCHEMA}")
            tmp = None
        else:
            print(
                f"generating the demo ERP at scale {scale} into PostgreSQL schema {SCHEMA} ...",
                flush=True,
            )
            result = generate(url, url, Path(tmp), scale=scale, schema=SCHEMA)
            print(
                f"  {result.row_counts.get('exams', 0):,} exam rows in {result.seconds:.0f} s",
                flush=True,
            )
    results = {k: measure(k, url) for k in ("copy", "ours", "pandas")}
    rows = results["ours"]["rows"]
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"{'path':<42}{'seconds':>9}{'rows/s':>12}{'peak MB':>9}{'x COPY':>8}")
    names = {
        "copy": "psql COPY binary -> /dev/null (limit)",
        "ours": "ADBC -> HMAC -> DuckDB (ours)",
        "pandas": "pandas.read_sql (baseline)",
    }
    for kind, r in results.items():
        ratio = r["seconds"] / results["copy"]["seconds"]
        print(
            f"{names[kind]:<42}{r['seconds']:>9.1f}{rows / r['seconds']:>12,.0f}{r['peak_mb']:>9.0f}{ratio:>8.1f}"
        )
    print(
        f"ours vs baseline: {results['pandas']['seconds'] / results['ours']['seconds']:.1f}x faster, "
        f"{results['pandas']['peak_mb'] / results['ours']['peak_mb']:.1f}x less memory"
    )


def demo() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "UPFLUX_DATA_DIR": tmp, "DAGSTER_HOME": f"{tmp}/dagster"}
        env.setdefault("UPFLUX_PSEUDONYM_KEY_DEMO", "bench-key-" + "0" * 32)  # clients/demo.yaml
        started = time.perf_counter()
        subprocess.run(
            ["/usr/bin/time", "-f", "%M", str(Path(sys.executable).parent / "upflux"), "demo"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=open(f"{tmp}/time.txt", "w"),
        )
        seconds = time.perf_counter() - started
        peak = int(Path(f"{tmp}/time.txt").read_text().strip().splitlines()[-1]) / 1024
    print(
        f"upflux demo (generation + full pipeline + 30-day health backfill, default size): "
        f"{seconds:.1f} s, peak {peak:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="use the ERP a previous run generated")
    parser.add_argument("--schema", default=SCHEMA, help="the PostgreSQL schema of the ERP")
    parser.add_argument("--child")
    parser.add_argument("--out")
    args = parser.parse_args()
    global SCHEMA
    SCHEMA = args.schema
    if args.child:
        child(args.child, args.pg, args.out)
    elif args.demo:
        demo()
    else:
        extraction(args.pg, args.scale, args.reuse)


if __name__ == "__main__":
    main()
