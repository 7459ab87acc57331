"""Issue 6's benchmark in one run: the database's export, our full and incremental loads,
dlt and pandas + GX, on the demo ERP at one scale in a throw-away PostgreSQL schema or
MariaDB database (dropped at the end).

Usage: .venv/bin/python bench/scale.py --scale 10 [--server postgres|mariadb]
                                        [--skip-dlt] [--skip-pandas] [--keep DIR]
Legs, each in its own process tree (wall seconds, peak RSS of the tree polled every 0.2 s):
  copy         the database's own export of every source table the client reads, one after
               the other, best of two (psql binary COPY / mariadb --quick --batch) -> /dev/null
  full         `upflux run <client> --full`; in-process time: the published load's
               `duration_s` in `upflux status --json` (its start to its publication)
  incremental  after `dt_atualizacao = now()` on 1% of pedido_exame's rows (the first by
               nr_pedido among those ordered in the 31 days up to the data's last order time
               not in the future): `upflux run <client>`
  dlt          dlt 1.31 `sql_table` (pyarrow backend) into DuckDB, each dataset's query given
               as the resource's query and its result declared as the resource's table
               (decimals with their precision and scale, the rest inferred from the data;
               bench/.venv-dlt, made on first use); MariaDB's TIME columns, which arrive as
               arrow durations dlt refuses, cast to time of day
  pandas+gx    `pandas.read_sql` of the same queries, staged in pandas as the load stages them
               in SQL (typed, codes mapped, the flags the suites read), + Great Expectations
               on the frames; the checks GX could not run are counted
The source tables are ANALYZEd after generation (a production ERP has statistics).
Prints a table and issue 6's targets as pass/fail lines; writes the figures to
bench/results/scale-<server>-<scale>.json (gitignored).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from common import Measured, psql_copy, run_measured  # noqa: E402

DLT_VENV = BENCH / ".venv-dlt"
STEM = "bench_scale"
NOW = datetime(2030, 1, 1, tzinfo=UTC)  # GX's "not in the future" checks


# -- legs run in their own interpreter ----------------------------------------------------------


def dlt_leg(plan: dict, out: str) -> None:
    """dlt's sql_table (pyarrow backend) of each query into DuckDB (dlt's interpreter).

    Each resource's table is declared as its query's result (the `metadata` dlt would otherwise
    reflect a table into): the query's columns as the database describes them (the query run
    with `where 1 = 0`), its decimals with their precision and scale (`reflection_level=
    "full_with_precision"`), every other type inferred from the data (`type_adapter_callback`
    returning None), as with `reflection_level="minimal"`. Without the declared decimals the
    pyarrow backend infers a decimal's precision per batch, and its Parquet writer refuses a
    batch whose precision differs from the first's.
    """
    import dlt
    import pyarrow as pa
    import sqlalchemy as sa
    from dlt.sources.sql_database import sql_table

    def as_query(sql: str):
        return lambda query, table: sa.text(sql)

    def times_of_day(item):  # MariaDB's TIME reaches arrow as duration, which dlt refuses
        for i, field in enumerate(item.schema):
            if pa.types.is_duration(field.type):
                as_time = item.column(i).cast(pa.int64()).cast(pa.time64(field.type.unit))
                item = item.set_column(i, field.name, as_time)
        return item

    def inferred_unless_declared(sql_type):
        return None if isinstance(sql_type, sa.types.NullType) else sql_type

    metadata = sa.MetaData()
    engine = sa.create_engine(plan["dlt_url"], poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        for dataset, q in plan["queries"].items():
            described = conn.execute(sa.text(f"select * from ({q['sql']}) q where 1 = 0"))
            columns = [
                sa.Column(c[0], declared_type(plan["server"], c))
                for c in described.cursor.description
            ]
            sa.Table(dataset, metadata, *columns)
    engine.dispose()

    resources = [
        sql_table(
            credentials=plan["dlt_url"],
            table=dataset,
            metadata=metadata,
            backend="pyarrow",
            reflection_level="full_with_precision",
            type_adapter_callback=inferred_unless_declared,
            query_adapter_callback=as_query(q["sql"]),
        ).add_map(times_of_day)
        for dataset, q in plan["queries"].items()
    ]
    pipeline = dlt.pipeline(
        pipeline_name="bench_scale",
        pipelines_dir=f"{out}/pipelines",
        destination=dlt.destinations.duckdb(f"{out}/dlt.duckdb"),
        dataset_name="erp",
    )
    pipeline.run(resources)
    rows = pipeline.last_trace.last_normalize_info.row_counts
    sys.stdout.write(json.dumps({"rows": sum(v for k, v in rows.items() if k in plan["queries"])}))


def declared_type(server: str, described: tuple):
    """A query column's SQLAlchemy type from its DB-API description: decimals with their
    precision and scale, anything else untyped (NullType: dlt infers it from the data).

    psycopg2 gives a numeric's precision and scale (None when unconstrained: dlt's default
    decimal then); PyMySQL gives a decimal's display length (its digits, plus one for the
    point when it has a scale, plus one for the sign when signed), so the sign's digit is
    kept: one digit wider than declared at worst, never narrower.
    """
    import sqlalchemy as sa

    _name, code, _display, length, precision, scale, _null = described
    if server == "postgres" and code == 1700:  # numeric
        return sa.Numeric(precision, scale) if precision else sa.Numeric()
    if server == "mariadb" and code in (0, 246):  # DECIMAL, NEWDECIMAL
        return sa.Numeric(min(38, length - (1 if scale else 0)), scale)
    return sa.types.NullType()


def pandas_leg(plan: dict) -> None:
    """`pandas.read_sql` of each query, staged in pandas, then its GX suite on the frame."""
    import pandas as pd
    import sqlalchemy as sa

    from upflux_etl.catalog.clients import merged_mappings
    from upflux_etl.catalog.reader import read_catalog, read_client
    from upflux_etl.quality.gx_bridge import run_suite
    from upflux_etl.settings import Settings

    settings = Settings.from_env()
    catalog = read_catalog(settings)
    client = read_client(settings.clients_dir / f"{STEM}.yaml", catalog)
    mappings = merged_mappings(client, catalog)
    engine = sa.create_engine(plan["query_url"])
    frames = {}
    with engine.connect() as conn:
        for dataset, q in plan["queries"].items():
            read = pd.read_sql(sa.text(q["sql"]), conn)
            spec = catalog.canonical.datasets[dataset]
            frames[dataset] = pandas_staged(read, spec, client.timezone, mappings)
            del read
    ran, errors = 0, {}
    for dataset, frame in frames.items():
        checks = catalog.checks.get(dataset, [])
        refs = {e.value_set_from for e in checks if e.value_set_from}
        sets = {r: frames[r.split(".")[0]][r.split(".")[1]].tolist() for r in refs}
        outcome = run_suite(frame, checks, dataset=dataset, value_sets=sets, now=NOW)
        ran += len(outcome.checks)
        # A check GX could not run is an outcome too (run_suite keeps its error): counted,
        # so that a suite failing fast is not read as a fast suite.
        for check in outcome.checks:
            if check.error:
                errors[f"{dataset}.{check.name}"] = check.error[:200]
    rows = sum(len(f) for f in frames.values())
    sys.stdout.write(json.dumps({"rows": rows, "checks": ran, "check_errors": errors}))


def pandas_staged(read, spec, timezone: str, mappings: dict[str, dict[str, str]]):
    """The frame the suite judges, built in pandas as warehouse/staging.py builds it in SQL:
    each column typed (`_<c>_unparseable` when a value does not parse; wall times read in the
    hospital's zone, a time that does not exist or repeats left empty), ERP codes mapped
    (`<c>_code`, `_<c>_unmapped`), identifiers' check digits (`<c>_valid`), `_unreadable`
    empty (the stream's reasons: not looked for here) and a unique `_row_id` index."""
    import pandas as pd

    from upflux_etl.extract.pii import VALIDATORS

    out: dict = {"_row_id": pd.RangeIndex(len(read))}
    for name, col in spec.columns.items():
        src = read[name]
        if col.map:
            codes = _as_text(src).str.strip()
            mapped = codes.map({str(k).strip(): v for k, v in mappings.get(col.map, {}).items()})
            out[name], out[f"{name}_code"] = mapped, _as_text(src)
            out[f"_{name}_unmapped"] = src.notna() & mapped.isna()
            continue
        if col.validate_:
            check = VALIDATORS[col.validate_]
            out[f"{name}_valid"] = src.map(
                lambda v, check=check: None if v is None or not str(v).strip() else check(str(v))
            )
        typed = _typed_series(src, col.type, timezone)
        out[name] = typed
        if col.type != "string":
            out[f"_{name}_unparseable"] = src.notna() & typed.isna()
    out["_unreadable"] = pd.Series(None, index=read.index, dtype="object")
    out["_unreadable_found"] = False
    frame = pd.DataFrame(out)
    return frame.set_index("_row_id", drop=False)


def _as_text(src):
    """A column as text, whole numbers without the `.0` pandas gives an integer column with
    nulls (codes are compared as the ERP writes them)."""
    import pandas as pd

    if pd.api.types.is_float_dtype(src) and (src.dropna() % 1 == 0).all():
        src = src.astype("Int64")
    return src.astype("string")


def _typed_series(src, kind: str, timezone: str):
    """One column cast to its canonical type, None/NaT where it does not parse."""
    import pandas as pd

    if kind == "string":
        return src.where(src.isna(), src.astype(str))
    if kind in ("integer", "double", "decimal"):
        numbers = pd.to_numeric(src, errors="coerce")
        return numbers.astype("Int64") if kind == "integer" else numbers.astype("float64")
    if kind == "boolean":  # 1 and 0 map too (equal to True and False)
        return src.map({True: True, False: False}).astype("boolean")
    if kind == "time":
        if pd.api.types.is_timedelta64_dtype(src):  # MariaDB's TIME
            return (pd.Timestamp(0) + src).dt.time
        return pd.to_datetime(src.astype("string"), format="%H:%M:%S", errors="coerce").dt.time
    stamps = pd.to_datetime(src, errors="coerce", utc=False)
    if kind == "date":
        return stamps.dt.tz_localize(None) if stamps.dt.tz is not None else stamps
    if stamps.dt.tz is None:  # the hospital's wall time
        return stamps.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    return stamps


# -- the run --------------------------------------------------------------------------------------


def ensure_dlt_venv() -> Path:
    """bench/.venv-dlt with bench/requirements-dlt.txt, made with uv on first use (again when
    the pins change or an install was cut short: the venv keeps a copy of what it installed)."""
    python, pins = DLT_VENV / "bin" / "python", BENCH / "requirements-dlt.txt"
    installed = DLT_VENV / "requirements-dlt.txt"
    if not installed.exists() or installed.read_text() != pins.read_text():
        uv = str(Path(sys.executable).parent / "uv")
        print(f"making {DLT_VENV.relative_to(ROOT)} from {pins.name} ...", flush=True)
        subprocess.run(
            [uv, "venv", "-q", "--clear", "-p", sys.executable, str(DLT_VENV)], check=True
        )
        subprocess.run([uv, "pip", "install", "-q", "-p", str(python), "-r", str(pins)], check=True)
        installed.write_text(pins.read_text())
    return python


def client_plan(settings, client, server: str, url: str, schema: str) -> dict:
    """Each dataset's query as the load runs it in full, and the source tables they read."""
    import sqlalchemy as sa

    from upflux_etl.catalog.clients import client_datasets
    from upflux_etl.catalog.queries import client_query
    from upflux_etl.catalog.reader import read_catalog
    from upflux_etl.extract.source_catalog import tables_read
    from upflux_etl.extract.sql import translate
    from upflux_etl.extract.urls import dialect_of

    catalog = read_catalog(settings)
    write = dialect_of(url)
    queries, tables = {}, set()
    for dataset in client_datasets(client, catalog):
        query = client_query(client, catalog, dataset)
        read = query.dialect or write
        read_from = tables_read(query.sql, read)
        tables |= read_from
        queries[dataset] = {"sql": translate(query.sql, read, write), "table": min(read_from)}
    # The queries name their tables bare: the URLs they run on reach the schema (database).
    parts = sa.engine.make_url(url)
    if server == "postgres":
        parts = parts.update_query_dict({"options": f"-csearch_path={schema}"})
    else:
        parts = parts.set(database=schema)
    query_url = parts.render_as_string(hide_password=False)
    return {
        "server": server,
        "url": url,
        "query_url": query_url,
        "dlt_url": query_url.replace("+psycopg:", "+psycopg2:"),
        "schema": schema,
        "queries": queries,
        "tables": sorted(tables),
    }


def analyze(plan: dict) -> float:
    """The planner's statistics of every source table, as a production ERP has them (the demo
    is freshly written and this server's autovacuum may be off). Without them PostgreSQL
    estimates a few hundred rows per table, and the fast-start plan it gives a server-side
    cursor (dlt reads through one) nests loops over whole tables. Seconds taken."""
    import sqlalchemy as sa

    started = time.perf_counter()
    engine = sa.create_engine(plan["url"], poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        if plan["server"] == "postgres":
            for table in plan["tables"]:
                conn.execute(sa.text(f'analyze "{plan["schema"]}"."{table}"'))
        else:
            names = ", ".join(f"`{plan['schema']}`.`{t}`" for t in plan["tables"])
            conn.execute(sa.text(f"analyze table {names}")).all()
    engine.dispose()
    return time.perf_counter() - started


def export_all(plan: dict) -> Measured:
    """The database's own export of every source table, one after the other; best of two."""
    import sqlalchemy as sa

    def once() -> Measured:
        seconds, peak = 0.0, 0.0
        for table in plan["tables"]:
            if plan["server"] == "postgres":
                argv = psql_copy(plan["url"], f'select * from "{plan["schema"]}"."{table}"')
            else:
                parts = sa.engine.make_url(plan["url"])
                argv = ["mariadb", "--quick", "--batch", "-h", parts.host or "127.0.0.1"]
                argv += ["-P", str(parts.port or 3306), "-u", parts.username or "root"]
                argv += ["-e", f"select * from `{plan['schema']}`.`{table}`"]
            env = {**os.environ}
            if plan["server"] == "mariadb" and sa.engine.make_url(plan["url"]).password:
                env["MYSQL_PWD"] = sa.engine.make_url(plan["url"]).password
            leg = run_measured(argv, env=env, stdout_to=os.devnull)
            seconds, peak = seconds + leg.seconds, max(peak, leg.peak_mb)
        return Measured(seconds, peak, "")

    return min((once(), once()), key=lambda m: m.seconds)


def change_exams(plan: dict) -> int:
    """`dt_atualizacao = now()` on 1% of pedido_exame's rows, from the data's last 31 days."""
    import sqlalchemy as sa

    engine = sa.create_engine(plan["url"], poolclass=sa.pool.NullPool)
    table = (
        f'"{plan["schema"]}".pedido_exame'
        if plan["server"] == "postgres"
        else f"`{plan['schema']}`.pedido_exame"
    )
    with engine.begin() as conn:
        # The data's last order time, leaving out the demo's defects dated decades ahead.
        total, last = conn.execute(
            sa.text(
                f"select count(*), max(case when dt_pedido <= current_timestamp then dt_pedido end) "
                f"from {table}"
            )
        ).one()
        n, since = math.ceil(total / 100), last - timedelta(days=31)
        if plan["server"] == "postgres":
            sql = (
                f"update {table} set dt_atualizacao = now() where nr_pedido in (select nr_pedido "
                f"from {table} where dt_pedido >= :since order by nr_pedido limit {n})"
            )
        else:
            sql = (
                f"update {table} set dt_atualizacao = now() where dt_pedido >= :since "
                f"order by nr_pedido limit {n}"
            )
        changed = conn.execute(sa.text(sql), {"since": since}).rowcount
    engine.dispose()
    return changed


def upflux_load(env: dict[str, str], full: bool) -> dict:
    """`upflux run` in its own process, then the published load's in-process time."""
    upflux = str(Path(sys.executable).parent / "upflux")
    try:
        leg = run_measured([upflux, "run", STEM, *(["--full"] if full else [])], env=env, cwd=ROOT)
    except RuntimeError as exc:  # the run's own error (scrubbed) is in status: say it
        status = json.loads(run_measured([upflux, "status", STEM, "--json"], env=env).stdout)
        last = status.get("last_run") or {}
        raise RuntimeError(f"{exc}\nlast load: {json.dumps(last, default=str)[:3000]}") from None
    status = json.loads(run_measured([upflux, "status", STEM, "--json"], env=env).stdout)
    load = status["load"]
    expected = "full" if full else "incremental"
    if load["mode"] != expected:
        raise SystemExit(f"the last published load is {load['mode']}, expected {expected}")
    rows = sum(d.get("extracted", 0) for d in status["datasets"].values())
    return {
        "seconds": leg.seconds,
        "peak_mb": leg.peak_mb,
        "peak_at_s": round(leg.peak_at_s, 1),
        "written_mb": round(leg.written_mb, 1),
        "duration_s": load["duration_s"],
        "rows": rows,
    }


def child_leg(python: str, leg: str, plan: dict, tmp: Path) -> dict:
    (tmp / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    argv = [python, __file__, "--leg", leg, str(tmp / "plan.json"), str(tmp)]
    # dlt's anonymous telemetry off: no call out of the machine during the measured leg.
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"}
    done = run_measured(argv, env=env, cwd=ROOT)
    return {"seconds": done.seconds, "peak_mb": done.peak_mb, **json.loads(done.stdout)}


def baseline_leg(python: str, leg: str, plan: dict, tmp: Path) -> dict:
    """A baseline's leg; its failure is a result too (reported, the other legs kept)."""
    try:
        return child_leg(python, leg, plan, tmp)
    except RuntimeError as exc:
        return {"error": str(exc).splitlines()[-1][:300]}


def targets(r: dict) -> list[tuple[str, bool]]:
    copy, full, inc = r["copy"]["seconds"], r["full"], r["incremental"]
    out = [
        (
            f"full load duration_s {full['duration_s']:.1f} s <= 4x COPY ({4 * copy:.1f} s)",
            full["duration_s"] <= 4 * copy,
        ),
        (
            f"full load whole process {full['seconds']:.1f} s <= 5x COPY ({5 * copy:.1f} s)",
            full["seconds"] <= 5 * copy,
        ),
        (f"full load peak RSS {full['peak_mb']:.0f} MB <= 1536 MB", full["peak_mb"] <= 1536),
        (
            f"incremental duration_s {inc['duration_s']:.1f} s <= 10% of the full's "
            f"({full['duration_s'] / 10:.1f} s)",
            inc["duration_s"] <= full["duration_s"] / 10,
        ),
    ]
    if full.get("written_mb") and "written_mb" in inc:
        out.append(
            (
                f"incremental wrote {inc['written_mb']:.0f} MB <= 10% of the full's "
                f"({full['written_mb'] / 10:.0f} MB): no copy of the history",
                inc["written_mb"] <= full["written_mb"] / 10,
            )
        )
    if "dlt" in r and "error" not in r["dlt"]:
        dlt = r["dlt"]["seconds"]
        out += [
            (
                f"full load to publication (extraction, protection, staging, validation, "
                f"publication) {full['duration_s']:.1f} s faster than dlt's extraction into "
                f"DuckDB {dlt:.1f} s",
                full["duration_s"] < dlt,
            ),
            (
                f"full load, every step (reports and the first night's mining too), "
                f"{full['seconds']:.1f} s faster than dlt's extraction {dlt:.1f} s",
                full["seconds"] < dlt,
            ),
        ]
    return out


@contextlib.contextmanager
def work_folder(keep: Path | None):
    """A temporary folder, or the one given with --keep (created, not removed)."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="upflux_scale_") as folder:
            yield folder
    else:
        keep.mkdir(parents=True, exist_ok=False)
        yield str(keep.resolve())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--server", choices=("postgres", "mariadb"), default="postgres")
    parser.add_argument("--skip-dlt", action="store_true")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (run logs)")
    parser.add_argument("--leg", nargs=3, help=argparse.SUPPRESS)  # internal: one child leg
    args = parser.parse_args()
    if args.leg:
        leg, plan_file, out = args.leg
        plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
        if leg == "dlt":
            dlt_leg(plan, out)
        else:
            pandas_leg(plan)
        return
    dlt_python = None if args.skip_dlt else str(ensure_dlt_venv())

    with work_folder(args.keep) as folder:
        tmp = Path(folder)
        (tmp / "clients").mkdir()
        os.environ["UPFLUX_CLIENTS_DIR"] = str(tmp / "clients")
        os.environ["UPFLUX_DATA_DIR"] = str(tmp / "data")
        os.environ.pop("DAGSTER_HOME", None)
        os.environ.pop("UPFLUX_STATE_URL", None)
        sys.path.insert(0, str(ROOT))
        from tests.support.databases import demo_in_server
        from upflux_etl.settings import Settings

        print(f"generating the demo ERP at scale {args.scale} in {args.server} ...", flush=True)
        started = time.perf_counter()
        demo = demo_in_server(
            Settings.from_env(),
            STEM,
            args.server,
            "bench_scale",
            beds=200,
            months=12,
            scale=args.scale,
        )
        with demo as (url, schema, client):
            print(f"  {time.perf_counter() - started:.0f} s, schema {schema}", flush=True)
            plan = client_plan(client.settings, client.client, args.server, url, schema)
            print(f"  statistics: {analyze(plan):.0f} s", flush=True)
            copy = export_all(plan)
            results: dict = {"copy": {"seconds": copy.seconds, "peak_mb": copy.peak_mb}}
            env = {**os.environ}
            results["full"] = upflux_load(env, full=True)
            print(f"  full: {json.dumps(results['full'])}", flush=True)  # kept if a later leg fails
            results["changed_exam_rows"] = change_exams(plan)
            results["incremental"] = upflux_load(env, full=False)
            if dlt_python:
                results["dlt"] = baseline_leg(dlt_python, "dlt", plan, tmp)
            if not args.skip_pandas:
                results["pandas+gx"] = baseline_leg(sys.executable, "pandas", plan, tmp)
    report(args, plan, results)


def report(args, plan: dict, results: dict) -> None:
    copy = results["copy"]["seconds"]
    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.server}, scale {args.scale}; "
        f"{len(plan['tables'])} source tables ({', '.join(plan['tables'])}); "
        f"dlt and pandas run the client's {len(plan['queries'])} queries",
        f"{'leg':<14}{'seconds':>9}{'in-process s':>14}{'peak MB':>9}{'x COPY':>8}"
        f"{'written MB':>12}",
    ]
    for leg in ("copy", "full", "incremental", "dlt", "pandas+gx"):
        if leg not in results:
            continue
        r = results[leg]
        if "error" in r:
            lines.append(f"{leg:<14} failed: {r['error']}")
            continue
        inner = f"{r['duration_s']:.1f}" if "duration_s" in r else ""
        written = f"{r['written_mb']:.0f}" if "written_mb" in r else ""
        lines.append(
            f"{leg:<14}{r['seconds']:>9.1f}{inner:>14}{r['peak_mb']:>9.0f}{r['seconds'] / copy:>8.1f}"
            f"{written:>12}"
        )
    lines.append(f"incremental after {results['changed_exam_rows']:,} exam rows changed")
    rows = {
        leg: results[leg]["rows"]
        for leg in ("full", "dlt", "pandas+gx")
        if "rows" in results.get(leg, {})
    }
    lines.append("rows read: " + ", ".join(f"{leg} {n:,}" for leg, n in rows.items()))
    gx = results.get("pandas+gx", {})
    if "checks" in gx:
        lines.append(f"pandas+gx: {gx['checks']} checks, {len(gx['check_errors'])} could not run")
    checks = targets(results)
    lines += [f"{'PASS' if ok else 'FAIL'}  {text}" for text, ok in checks]
    sys.stdout.write("\n".join(lines) + "\n")
    out = BENCH / "results" / f"scale-{args.server}-{args.scale:g}.json"
    out.parent.mkdir(exist_ok=True)
    payload = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"arch": platform.machine(), "cores": os.cpu_count()},
        "server": args.server,
        "scale": args.scale,
        "source_tables": plan["tables"],
        "legs": {k: v for k, v in results.items() if isinstance(v, dict)},
        "changed_exam_rows": results["changed_exam_rows"],
        "targets": [{"target": text, "pass": ok} for text, ok in checks],
    }
    out.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    sys.stdout.write(f"written to {out.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
