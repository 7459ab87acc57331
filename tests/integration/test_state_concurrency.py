"""Several processes (one per hospital) writing to one SQLite state store at once."""

from __future__ import annotations

import multiprocessing as mp
from datetime import UTC, date, datetime, timedelta

from upflux_etl.state import HealthRecord, RunRecord, StateStore

WORKERS = 4
WRITES = 25


def _writer(url: str, client: str, barrier) -> None:
    barrier.wait()  # every process opens the store (and creates the schema) at the same moment
    store = StateStore(url)
    now = datetime.now(UTC)
    for i in range(WRITES):
        store.record_run(
            RunRecord(
                client,
                f"L{i}",
                f"r{i}",
                now,
                now,
                "published",
                "incremental",
                True,
                ledger={
                    "encounters": {"extracted": i, "published": i, "quarantined": 0, "held": 0}
                },
            )
        )
        store.record_checklist_event(client, "kickoff", "done", f"pessoa-{client}", note=str(i))
        store.record_health(
            HealthRecord(
                client,
                date(2026, 1, 1) + timedelta(days=i % 5),
                float(i),
                "green",
                {},
                None,
                None,
                [],
                now,
            )
        )
        # Every process raises the same kind for one shared client: it must stay one action.
        store.upsert_open_action(
            "shared", "carga_atrasada", f"{client} {i}", "integracao", date(2026, 1, 2)
        )
    store.dispose()


def test_concurrent_processes_write_without_losing_or_duplicating(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=_writer, args=(url, f"h{n}", barrier)) for n in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    store = StateStore(url)
    for n in range(WORKERS):
        client = f"h{n}"
        assert len(store.runs(client)) == WRITES
        assert len(store.checklist_events(client)) == WRITES
        assert len(store.health_history(client)) == 5  # one per day: recomputing replaces
    actions = store.actions("shared")
    assert len(actions) == 1 and actions[0].status == "open"
