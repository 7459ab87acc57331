"""The production instance (deploy/dagster.yaml) on a real PostgreSQL: runs of several
hospitals go through the queue and the daemon, within the limits."""

from __future__ import annotations

import itertools

import dagster as dg
import pytest

from tests.dbservers import postgres_url
from tests.support.dagster_queue import (
    daemon,
    dagster_database,
    peak_concurrency,
    production_home,
    submit_jobs,
    wait_for_runs,
)
from tests.support.demo import make_demo

pytestmark = pytest.mark.postgres

TINY = {"beds": 20, "months": 1, "scale": 0.1}


def test_runs_of_several_hospitals_complete_through_the_queue_within_the_limits(
    settings, pseudonym_key, tmp_path
):
    stems = ["h1", "h2", "h3"]
    for stem in stems:
        make_demo(settings, stem, **TINY)
    jobs = ["h1__nightly", "h1__nightly", "h2__nightly", "h3__nightly"]
    with dagster_database(postgres_url()) as pg_url:
        home = production_home(tmp_path / "dagster_home", pg_url)
        with dg.DagsterInstance.get() as instance:
            assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
            assert "postgres" in type(instance.run_storage).__module__
            assert not instance.run_retries_enabled
            with daemon(home, tmp_path / "daemon.log"):
                run_ids = submit_jobs(instance, jobs)
                spans = wait_for_runs(instance, run_ids, timeout_s=900)
            instance.dispose()

    assert [s.status for s in spans] == ["SUCCESS"] * len(jobs), (
        tmp_path / "daemon.log"
    ).read_text()
    assert {s.client for s in spans} == set(stems)
    for client, group in itertools.groupby(
        sorted(spans, key=lambda s: s.client), key=lambda s: s.client
    ):
        runs = sorted(group, key=lambda s: s.start)
        for before, after in itertools.pairwise(runs):
            assert before.end <= after.start, f"two runs of {client} at once"
    assert 2 <= peak_concurrency(spans) <= 4
