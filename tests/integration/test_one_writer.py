"""One writer per hospital, with real processes: concurrent runs (CLI + CLI, CLI + a run as
the UI launches it), kill -9 at several moments, SIGINT/SIGTERM, re-execution and subsets.

Kills and second runs are timed on states (the lock file naming a run, a build file, a log
line), never on sleeps.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.support.demo import DemoClient, make_demo, materialize_client
from upflux_etl.definitions import build_definitions
from upflux_etl.definitions.factories import ui_job_name
from upflux_etl.instance import dagster_home
from upflux_etl.settings import Settings
from upflux_etl.warehouse.files import WarehouseFiles
from upflux_etl.warehouse.lock import read_holder

UPFLUX = Path(sys.executable).with_name("upflux")
TINY = {"beds": 20, "months": 1, "scale": 0.1}
TIMEOUT_S = 900

# A run launched the way the UI launches "Materialize all" on the group: the hospital's
# `Load__<hospital>` job, on the shared instance, its lock taken by the run's own resource.
UI_RUN = """
import dagster as dg
from upflux_etl.definitions import build_definitions
from upflux_etl.definitions.factories import ui_job_name
from upflux_etl.runner import instance_for
from upflux_etl.settings import Settings
settings = Settings.from_env()
job = build_definitions(settings).resolve_job_def(ui_job_name("demo"))
result = job.execute_in_process(instance=instance_for(settings), raise_on_error=False)
print("RUN", result.run_id, result.success, flush=True)
"""


def publications(path: Path) -> list[tuple[str, str]]:
    """(version, load_id) of every publication the warehouse records, oldest first."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select version, load_id from meta.publication order by published_at"
        ).fetchall()
    finally:
        con.close()


def readable(path: Path) -> tuple[str, int, bool]:
    """The published version, its encounters and whether every dataset's ledger balances."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        version, load_id = con.execute(
            "select version, load_id from meta.publication order by published_at desc limit 1"
        ).fetchall()[0]
        encounters = con.execute("select count(*) from main.encounters").fetchall()[0][0]
        ledger = con.execute(
            "select extracted, published, quarantined, held from meta.ledger where load_id = ?",
            [load_id],
        ).fetchall()
        balanced = bool(ledger) and all(e == p + q + h for e, p, q, h in ledger)
        return version, encounters, balanced
    finally:
        con.close()


def start(args: list[str], log: Path, **env: str) -> subprocess.Popen:
    """A process in a session of its own (so a kill reaches its whole group), output to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "300", **env},
            start_new_session=True,
        )


def start_cli(log: Path, **env: str) -> subprocess.Popen:
    return start([str(UPFLUX), "run", "demo", "--full"], log, **env)


def wait_until(what: str, ready: Callable[[], bool], *procs: subprocess.Popen) -> None:
    """Poll a state until it holds; fail if it does not, or if a process ended first."""
    deadline = time.monotonic() + TIMEOUT_S
    while not ready():
        for proc in procs:
            assert proc.poll() is None, f"process ended (code {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"{what}: not within {TIMEOUT_S} s"
        time.sleep(0.05)


def holder_run(files: WarehouseFiles) -> str | None:
    holder = read_holder(files)
    return holder.run_id if holder else None


def has_line(log: Path, text: str) -> Callable[[], bool]:
    return lambda: text in log.read_text(errors="replace")


def instance(settings: Settings) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(dagster_home(settings)))


def published_demo(settings: Settings) -> tuple[DemoClient, WarehouseFiles, list]:
    demo = make_demo(settings, **TINY)
    assert materialize_client(demo).success
    files = WarehouseFiles(settings.client_dir("demo"))
    return demo, files, publications(demo.warehouse)


def test_two_cli_runs_the_second_stops_at_its_start_naming_the_first(
    settings, pseudonym_key, tmp_path
):
    demo, files, before = published_demo(settings)
    first = start_cli(tmp_path / "first.log", UPFLUX_WRITER_WAIT_S="0")
    wait_until("the first run holds the lock", lambda: holder_run(files) is not None, first)
    running = holder_run(files)
    assert running is not None

    second = subprocess.run(
        [str(UPFLUX), "run", "demo", "--full"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300", "UPFLUX_WRITER_WAIT_S": "0"},
        timeout=TIMEOUT_S,
    )
    assert first.wait(TIMEOUT_S) == 0, (tmp_path / "first.log").read_text()

    assert second.returncode == 2, second.stderr
    assert f"demo: another load of this hospital is running (run {running[:8]} (cli" in (
        second.stderr
    )
    assert "stops before doing any work" in second.stderr
    assert "Traceback" not in second.stderr
    after = publications(demo.warehouse)
    assert after[: len(before)] == before
    assert [load for _, load in after[len(before) :]] == [running]  # published once, by the first
    assert readable(demo.warehouse)[2]
    assert not list(files.builds.glob("*"))

    with instance(settings) as inst:
        runs = inst.get_runs()
    assert [r.run_id for r in runs] == [running]  # the second never became a run

    status = subprocess.run(
        [str(UPFLUX), "status", "demo", "--json"], capture_output=True, text=True, check=True
    )
    loads = json.loads(status.stdout)["recent_loads"]
    assert loads[0]["run_id"] == running
    assert loads[0]["status"] == "success"
    assert loads[0]["launched_by"].startswith("cli")
    assert loads[0]["started_at"] and loads[0]["ended_at"]


def test_a_ui_run_waits_for_a_cli_run_then_publishes_on_top_of_it(
    settings, pseudonym_key, tmp_path
):
    demo, files, before = published_demo(settings)
    cli = start_cli(tmp_path / "cli.log", UPFLUX_WRITER_WAIT_S="0")
    wait_until("the CLI run holds the lock", lambda: holder_run(files) is not None, cli)
    cli_run = holder_run(files)
    ui_log = tmp_path / "ui.log"
    ui = start([sys.executable, "-c", UI_RUN], ui_log, UPFLUX_WRITER_WAIT_S=str(TIMEOUT_S))

    def ui_run_waits() -> bool:
        with instance(settings) as inst:
            others = [
                r
                for r in inst.get_runs(
                    filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
                )
                if r.run_id != cli_run
            ]
        return bool(others) and holder_run(files) == cli_run

    wait_until("the UI run started while the CLI run holds the lock", ui_run_waits, ui, cli)

    assert cli.wait(TIMEOUT_S) == 0, (tmp_path / "cli.log").read_text()
    assert ui.wait(TIMEOUT_S) == 0, ui_log.read_text()
    ui_run, success = ui_log.read_text().split("RUN ")[1].split()[:2]
    assert success == "True", ui_log.read_text()

    after = publications(demo.warehouse)
    assert after[: len(before)] == before
    assert [load for _, load in after[len(before) :]] == [cli_run, ui_run]  # in turn, whole
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        base = con.execute(
            "select base_version from meta.loads where load_id = ?", [ui_run]
        ).fetchall()[0][0]
    finally:
        con.close()
    assert base == after[len(before)][0]  # the UI run built on the CLI run's publication
    assert readable(demo.warehouse)[2]
    with instance(settings) as inst:
        ui_record = inst.get_run_record_by_id(ui_run)
        cli_record = inst.get_run_record_by_id(cli_run)
    assert ui_record is not None and cli_record is not None
    assert ui_record.dagster_run.job_name == ui_job_name("demo")
    assert ui_record.dagster_run.tags["upflux/client"] == "demo"
    assert ui_record.start_time < cli_record.end_time  # it waited for the lock, then published


def test_kill_9_at_several_moments_leaves_the_publication_intact_and_the_next_run_proceeds(
    settings, pseudonym_key, tmp_path
):
    demo, files, before = published_demo(settings)
    published = readable(demo.warehouse)
    moments = [
        ("extraction", lambda log: has_line(log, ": extracting (")),
        ("indicators", lambda log: has_line(log, "indicator ")),
        ("publication", lambda log: has_line(log, "publishing run")),
    ]
    killed: list[str] = []
    for moment, reached in moments:
        log = tmp_path / f"{moment}.log"
        proc = start_cli(log, UPFLUX_WRITER_WAIT_S="0")
        # the run started: it took the lock, so the previous killed run's lock was released
        wait_until(
            f"a run holds the lock ({moment})",
            lambda: holder_run(files) not in (None, *killed),
            proc,
        )
        run_id = holder_run(files)
        assert run_id is not None
        wait_until(f"the run reaches {moment}", reached(log), proc)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        killed.append(run_id)
        now = readable(demo.warehouse)  # intact and readable whatever the moment
        assert now[2], f"killed during {moment}: the published ledger does not balance"
        if moment != "publication":
            assert now == published, f"killed during {moment}: the publication changed"
        elif now != published:  # the rename happened before the kill: a whole load
            assert publications(demo.warehouse)[-1][1] == run_id
        if killed[:-1]:  # this run cleared the run killed before it
            assert "died without publishing" in log.read_text(errors="replace")

    last = subprocess.run(
        [str(UPFLUX), "run", "demo"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300", "UPFLUX_WRITER_WAIT_S": "0"},
        timeout=TIMEOUT_S,
    )
    assert last.returncode == 0, last.stdout + last.stderr
    assert readable(demo.warehouse)[2]
    assert publications(demo.warehouse)[: len(before)] == before
    assert not list(files.builds.glob("*")), "builds of the killed runs were removed"
    assert read_holder(files) is None
    with instance(settings) as inst:
        for run_id in killed:
            run = inst.get_run_by_id(run_id)
            assert run is not None and run.status == dg.DagsterRunStatus.FAILURE, run_id


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_discards_its_build_and_says_so_plainly(
    settings, pseudonym_key, tmp_path, signum
):
    demo, files, before = published_demo(settings)
    log = tmp_path / "run.log"
    proc = start_cli(log)
    wait_until("the run writes its build", lambda: any(files.builds.glob("*.duckdb")), proc)
    os.killpg(proc.pid, signum)  # what Ctrl-C does: the whole foreground group
    assert proc.wait(TIMEOUT_S) == 130, log.read_text()
    output = log.read_text(errors="replace")
    assert "was interrupted (Ctrl-C or SIGTERM); its build was discarded" in output
    assert "the published warehouse is unchanged" in output
    assert "Dagster" not in output and "Traceback" not in output, output
    assert not list(files.builds.glob("*"))
    assert read_holder(files) is None
    assert publications(demo.warehouse) == before


def errors_of(inst: dg.DagsterInstance, run_id: str) -> str:
    """Every error message in a run's event log, causes included."""
    texts = []
    for record in inst.all_logs(run_id):
        event = record.dagster_event
        error = getattr(event.event_specific_data, "error", None) if event else None
        while error is not None:
            texts.append(error.message)
            error = error.cause
    return "\n".join(texts)


def _demo_job():
    return build_definitions(Settings.from_env()).resolve_job_def("demo__nightly")


def test_a_reexecution_from_failure_is_refused_and_publishes_nothing(
    settings, pseudonym_key, tmp_path
):
    demo, files, before = published_demo(settings)
    erp = settings.data_dir / "demo" / "erp.sqlite"
    with sqlite3.connect(erp) as con:  # the exams dataset fails, the others succeed
        con.execute("alter table pedido_exame rename to pedido_exame_away")
    with dg.instance_for_test() as inst:
        job = dg.reconstructable(_demo_job)
        with dg.execute_job(
            job, inst, tags={"upflux/full": "true"}, raise_on_error=False
        ) as parent:
            assert not parent.success
            failed = {e.step_key for e in parent.get_step_failure_events()}
            succeeded = {e.step_key for e in parent.get_step_success_events()}
        assert "demo__datasets__exams" in failed and "demo__datasets__patients" in succeeded
        assert publications(demo.warehouse) == before
        with sqlite3.connect(erp) as con:  # fixed at the source; re-executed from failure
            con.execute("alter table pedido_exame_away rename to pedido_exame")
        options = dg.ReexecutionOptions.from_failure(parent.run_id, inst)
        dg.execute_job(job, inst, reexecution_options=options, raise_on_error=False)
        children = [r for r in inst.get_runs() if r.parent_run_id == parent.run_id]
        assert len(children) == 1 and children[0].status == dg.DagsterRunStatus.FAILURE
        logs = errors_of(inst, children[0].run_id)
    assert "a re-execution of only some steps" in logs, logs
    assert publications(demo.warehouse) == before
    assert readable(demo.warehouse)[2]
    assert not list(files.builds.glob("*"))


def test_materializing_part_of_the_load_is_refused_before_anything_is_built(
    settings, pseudonym_key
):
    demo, files, before = published_demo(settings)
    from upflux_etl.catalog.reader import read_catalog
    from upflux_etl.definitions.factories import client_assets

    assets = client_assets(demo.client, read_catalog(settings), settings)
    inst = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        assets,
        selection=[dg.AssetKey(["demo", "datasets", "exams"])],
        instance=inst,
        raise_on_error=False,
    )
    assert not result.success
    assert "materializing part of the hospital's load is refused" in errors_of(inst, result.run_id)
    assert publications(demo.warehouse) == before
    assert not files.builds.exists() or not list(files.builds.glob("*"))


def test_materialize_all_in_the_ui_runs_the_hospitals_named_job_with_its_tags(settings):
    make_demo(settings, **TINY)
    from dagster._core.remote_representation.external_data import RepositorySnap

    snap = RepositorySnap.from_def(build_definitions(settings).get_repository_def())
    demo_nodes = [n for n in snap.asset_nodes if n.asset_key.path[0] == "demo"]
    assert demo_nodes
    # The UI launches a selection under the first of its assets' common jobs, in name order.
    assert {n.job_names[0] for n in demo_nodes} == {ui_job_name("demo")}
    job = build_definitions(settings).resolve_job_def(ui_job_name("demo"))
    assert job.run_tags["upflux/client"] == "demo"
