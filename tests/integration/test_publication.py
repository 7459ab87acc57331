"""Publication is atomic: a killed run leaves the previous publication intact and readable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import dagster as dg
import duckdb
import pytest

from tests.support.demo import make_demo, materialize_client
from upflux_etl.warehouse.build import PublicationConflict, open_build, publish
from upflux_etl.warehouse.files import WarehouseFiles


def snapshot(path) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        version = con.execute(
            "select version from meta.publication order by published_at desc limit 1"
        ).fetchall()
        counts = con.execute("select count(*) from main.encounters").fetchall()
        return version[0][0], counts[0][0]
    finally:
        con.close()


def test_a_killed_run_leaves_the_previous_publication(settings, pseudonym_key, tmp_path):
    demo = make_demo(settings, months=2, scale=0.2)
    assert materialize_client(demo).success
    before = snapshot(demo.warehouse)
    code = (
        "from upflux_etl.settings import Settings; from upflux_etl.runner import run_client; "
        "run_client(Settings.from_env(), 'demo', full=True)"
    )
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster")}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)
    builds = WarehouseFiles(settings.client_dir("demo")).builds
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(builds.glob("*.duckdb")):
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the run: a dataset step is writing its build
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snapshot(demo.warehouse) == before
    # and the next run publishes normally over the leftovers
    assert materialize_client(demo, instance=dg.DagsterInstance.ephemeral()).success
    assert snapshot(demo.warehouse)[0] != before[0]
    # the scratch tables never enter the warehouse; no build, scratch file or spill is left
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        schemas = con.execute(
            "select schema_name from duckdb_schemas() where database_name = current_database()"
        ).fetchall()
    finally:
        con.close()
    assert not {s for (s,) in schemas} & {"landing", "staging"}
    assert not list(builds.iterdir())


def test_two_runs_of_one_hospital_cannot_both_publish(settings, pseudonym_key):
    demo = make_demo(settings, months=2, scale=0.2)
    assert materialize_client(demo).success
    files = WarehouseFiles(settings.client_dir("demo"))
    tz = demo.client.timezone
    open_build(files, "run-a", client="demo", timezone=tz, mode="full")
    open_build(files, "run-b", client="demo", timezone=tz, mode="full")
    publish(files, "run-a", tz)
    with pytest.raises(PublicationConflict, match="published by another run"):
        publish(files, "run-b", tz)
