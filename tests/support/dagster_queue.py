"""A Dagster instance on its own PostgreSQL database, the daemon, and runs through its queue.

Shared by the queue test and bench/ (what `dagster job launch` does, for many jobs at once).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._cli.job import _create_run
from dagster._cli.workspace.cli_target import (
    get_code_location_from_workspace,
    get_remote_repository_from_code_location,
)
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget

from upflux_etl.settings import project_root
from upflux_etl.ui_server import stop_group


@contextmanager
def dagster_database(server_url: str) -> Iterator[str]:
    """A new PostgreSQL database for one Dagster instance (a `postgresql+psycopg2` URL: dagster-postgres writes psycopg2 paramstyle SQL, and SQLAlchemy 2.1 maps a bare `postgresql` to psycopg 3), dropped after."""
    name = f"upflux_dagster_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'create database "{name}"'))
    url = sa.engine.make_url(server_url).set(drivername="postgresql+psycopg2", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


def production_home(home: Path, pg_url: str) -> Path:
    """DAGSTER_HOME holding deploy/dagster.yaml as shipped; the connection in the environment."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(project_root() / "deploy" / "dagster.yaml", home / "dagster.yaml")
    os.environ["UPFLUX_DAGSTER_PG_URL"] = pg_url
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@contextmanager
def daemon(home: Path, log: Path) -> Iterator[subprocess.Popen]:
    """`dagster-daemon run` on the workspace, stopped (its process group) after."""
    exe = Path(sys.executable).parent / "dagster-daemon"
    workspace = project_root() / "dagster_workspace.yaml"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(exe), "run", "-w", str(workspace)],
            # gRPC calls to a code server on a busy machine take longer than Dagster's 60 s.
            env={**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_GRPC_TIMEOUT_SECONDS": "300"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            # Its code servers outlive a SIGTERM to the daemon: the whole group goes.
            stop_group(proc, grace_s=10)


def submit_jobs(instance: dg.DagsterInstance, job_names: Iterable[str]) -> list[str]:
    """Submit one run per job name to the instance's run coordinator (the queue)."""
    target = WorkspaceFileTarget(paths=[str(project_root() / "dagster_workspace.yaml")])
    run_ids = []
    with WorkspaceProcessContext(instance, target) as process:
        workspace = process.create_request_context()
        location = get_code_location_from_workspace(workspace, None)
        repo = get_remote_repository_from_code_location(location, None)
        for name in job_names:
            run = _create_run(
                instance=instance,
                code_location=location,
                remote_repo=repo,
                remote_job=repo.get_full_job(name),
                run_config={},
                tags={},
                op_selection=None,
                run_id=None,
            )
            instance.submit_run(run.run_id, workspace)
            run_ids.append(run.run_id)
    return run_ids


@dataclass(frozen=True)
class RunSpan:
    run_id: str
    job: str
    client: str
    status: str
    start: float
    end: float


def wait_for_runs(
    instance: dg.DagsterInstance, run_ids: list[str], timeout_s: float
) -> list[RunSpan]:
    """Poll until every run has finished; their start and end times."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = instance.get_run_records(dg.RunsFilter(run_ids=run_ids))
        if len(records) == len(run_ids) and all(r.dagster_run.is_finished for r in records):
            break
        if time.monotonic() > deadline:
            states = {r.dagster_run.job_name: r.dagster_run.status.value for r in records}
            raise TimeoutError(f"runs not finished after {timeout_s} s: {states}")
        time.sleep(1)
    return [
        RunSpan(
            r.dagster_run.run_id,
            r.dagster_run.job_name,
            r.dagster_run.tags.get("upflux/client", ""),
            r.dagster_run.status.value,
            r.start_time or 0.0,
            r.end_time or 0.0,
        )
        for r in records
    ]


def peak_concurrency(spans: list[RunSpan]) -> int:
    """The most runs in progress at one instant."""
    events = sorted([(s.start, 1) for s in spans] + [(s.end, -1) for s in spans])
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak
