"""Validation: Great Expectations on a pandas frame (before) against the suite compiled to
DuckDB SQL (now), per dataset of a demo warehouse, each in its own subprocess (peak RSS).

Usage: python bench/validation.py [--scale 1] [--warehouse data/demo/warehouse.duckdb]
(imports, GX's included, and building the staged copy are not timed)
Without --warehouse, a demo hospital at --scale is generated and loaded in a temporary
folder first (scale 10 takes several minutes). Prints, per dataset: rows, seconds and peak
MB of each engine, and the dataset's whole load step (`meta.ledger.duration_s`, extraction
included) for comparison. Copy the table into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _catalog():
    from upflux_etl.catalog.reader import read_catalog
    from upflux_etl.settings import Settings

    return read_catalog(Settings.from_env())


def _staged(path: Path, dataset: str):
    """A copy's connection with `staging."<dataset>"` = the published rows with `_row_id`."""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("create schema if not exists staging")
    con.execute(
        f'create or replace table staging."{dataset}" as '
        f'select row_number() over () as _row_id, * exclude (_load_id) from main."{dataset}"'
    )
    return con


def child(engine: str, path: str, dataset: str) -> None:
    """One engine on one dataset (in a subprocess); prints a JSON line."""
    from upflux_etl.quality.gx_bridge import run_suite
    from upflux_etl.quality.sql_suite import SqlSuiteInput, run_sql_suite
    from upflux_etl.warehouse.build import limit_memory

    catalog = _catalog()  # imports (GX: seconds) and staging are not timed
    con = _staged(Path(path), dataset)
    checks = catalog.checks[dataset]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    if engine == "sql":
        limit_memory(con, "2GB", Path(path).with_suffix(".tmp"))
        refs = {e.value_set_from for e in checks if e.value_set_from}
        sets = {r: f'select "{r.split(".")[1]}" from main."{r.split(".")[0]}"' for r in refs}
        where = SqlSuiteInput(table=f'staging."{dataset}"', value_sets=sets)
        run_sql_suite(con, checks, dataset=dataset, now=NOW, where=where)
    else:
        refs = {e.value_set_from for e in checks if e.value_set_from}
        sets = {
            r: [
                v[0]
                for v in con.execute(
                    f'select "{r.split(".")[1]}" from main."{r.split(".")[0]}"'
                ).fetchall()
            ]
            for r in refs
        }
        frame = con.sql(f'select * from staging."{dataset}"').df()
        run_suite(
            frame.set_index("_row_id", drop=False),
            checks,
            dataset=dataset,
            value_sets=sets,
            now=NOW,
        )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "seconds": round(seconds, 2),
        "peak_mb": round(peak),
        "grown_mb": round(peak - before),
    }
    sys.stdout.write(json.dumps(result) + "\n")


def _measure(engine: str, warehouse: Path, dataset: str, tmp: Path) -> dict:
    copy = tmp / f"{engine}-{dataset}.duckdb"
    shutil.copyfile(warehouse, copy)
    done = subprocess.run(
        [sys.executable, __file__, "--child", engine, str(copy), dataset],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    copy.unlink()
    return json.loads(done.stdout.strip().splitlines()[-1])


def _demo_warehouse(scale: float, tmp: Path) -> Path:
    os.environ["UPFLUX_CLIENTS_DIR"] = str(tmp / "clients")
    os.environ["UPFLUX_DATA_DIR"] = str(tmp / "data")
    os.environ.setdefault("UPFLUX_PSEUDONYM_KEY", "bench-key-" + "0" * 32)
    (tmp / "clients").mkdir()
    sys.path.insert(0, str(ROOT))
    from tests.support.demo import make_demo, materialize_client
    from upflux_etl.settings import Settings

    demo = make_demo(Settings.from_env(), scale=scale, months=12, beds=200)
    assert materialize_client(demo).success
    return demo.warehouse


def main() -> None:
    """Run both engines on every dataset and print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import duckdb

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        warehouse = args.warehouse or _demo_warehouse(args.scale, tmp)
        con = duckdb.connect(str(warehouse), read_only=True)
        steps = dict(
            con.execute(
                "select dataset, duration_s from meta.ledger where load_id = "
                "(select load_id from meta.publication order by published_at desc limit 1)"
            ).fetchall()
        )
        rows = {d: con.execute(f'select count(*) from main."{d}"').fetchall()[0][0] for d in steps}
        con.close()
        lines = [
            "| dataset | rows | load step s | GX+pandas s | GX peak MB | SQL s | SQL peak MB |"
        ]
        lines.append("|---|---|---|---|---|---|---|")
        for dataset in sorted(steps, key=lambda d: -rows[d]):
            gx = _measure("gx", warehouse, dataset, tmp)
            sql = _measure("sql", warehouse, dataset, tmp)
            lines.append(
                f"| {dataset} | {rows[dataset]:,} | {steps[dataset]:.1f} | {gx['seconds']} | "
                f"{gx['peak_mb']} (+{gx['grown_mb']}) | {sql['seconds']} | "
                f"{sql['peak_mb']} (+{sql['grown_mb']}) |"
            )
        sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
