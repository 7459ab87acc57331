"""LGPD at the CLI: retention at each load, and `upflux purge` at contract end.

A real `upflux` in subprocesses on a small demo client: a load removes reports and builds past
the client file's retention (and keeps recent ones); `upflux purge` without `--yes` and without
a terminal removes nothing; with `--yes` nothing of the hospital is left, files, state-store
rows and Dagster runs, but one audit line; another hospital's rows are untouched.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import World, assert_ok, new_world
from tests.unit.test_state_support import make_run
from upflux_etl.state.store import StateStore

DAY = 24 * 3600


def age(path: Path, days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("old", encoding="utf-8")
    then = time.time() - days * DAY
    os.utime(path, (then, then))
    return path


def client_rows(state: Path, client: str) -> dict[str, int]:
    con = sqlite3.connect(state)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        return {
            t: con.execute(f'select count(*) from "{t}" where client = ?', [client]).fetchone()[0]
            for t in tables
            if "client" in [c[1] for c in con.execute(f'pragma table_info("{t}")')]
        }
    finally:
        con.close()


@pytest.fixture
def world(tmp_path) -> World:
    world = new_world(tmp_path, gone={})
    path = world.clients / "gone.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["retention"] = {"reports_days": 30, "builds_days": 1}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return world


def test_retention_then_purge_leaves_only_the_audit_line(world):
    assert_ok(world.upflux("demo", "gone"))
    folder = world.data / "gone"
    old_report = age(folder / "reports" / "qualidade-00000000.html", 45)
    recent_report = age(folder / "reports" / "qualidade-11111111.html", 10)
    old_build = age(folder / "builds" / "dead-run.duckdb", 2)
    # No run of this hospital is in flight (the writer lock is free): a fresh build is a dead
    # run's too, and the next run's start removes it with the old one.
    fresh_build = age(folder / "builds" / "dead-too.duckdb", 0.1)

    assert_ok(world.upflux("run", "gone"))
    assert not old_report.exists() and not old_build.exists() and not fresh_build.exists()
    assert recent_report.exists()
    assert len(list((folder / "reports").glob("qualidade-*.html"))) >= 3  # today's two kept

    state = world.data / "state.sqlite"
    other = StateStore(f"sqlite:///{state}")
    try:
        other.record_run(make_run("K1", dt.datetime.now(dt.UTC), client="kept"))
    finally:
        other.dispose()
    assert_ok(
        world.upflux(
            "checklist", "record", "gone", "kickoff", "--by", "ana", "--date", "2026-11-01"
        )
    )
    before = client_rows(state, "gone")
    assert before["runs"] >= 2 and before["checklist_events"] == 1, before

    refused = world.upflux("purge", "gone")  # no terminal, no --yes: nothing happens
    assert refused.returncode != 0 and folder.exists(), refused.explain()

    purged = world.upflux("purge", "gone", "--yes", "--by", "dpo.hospital")
    assert_ok(purged)
    assert not folder.exists()
    assert [p for p in world.data.rglob("*") if "gone" in str(p.relative_to(world.data))] == []
    after = client_rows(state, "gone")
    assert {t: n for t, n in after.items() if n} == {"purges": 1}, after
    assert client_rows(state, "kept")["runs"] == 1

    con = sqlite3.connect(state)
    try:
        ((by, what),) = con.execute(
            "select purged_by, what from purges where client = 'gone'"
        ).fetchall()
        # append-only again after the purge
        triggers = {
            r[0] for r in con.execute("select name from sqlite_master where type = 'trigger'")
        }
        assert {"checklist_events_no_update", "checklist_events_no_delete"} <= triggers
    finally:
        con.close()
    assert by == "dpo.hospital" and '"files"' in what

    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(world.dagster_home)
    try:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_run_records(dg.RunsFilter(tags={"upflux/client": "gone"}))
            assert runs == []
    finally:
        os.environ.pop("DAGSTER_HOME", None)
