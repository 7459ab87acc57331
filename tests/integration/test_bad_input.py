"""Bad input gets a message naming the file, dataset or source, and loses nothing."""

from __future__ import annotations

import dagster as dg
import pytest

from tests.support.demo import make_demo, materialize_client, write_demo_client
from upflux_etl.catalog.errors import ConfigProblems
from upflux_etl.catalog.reader import read_catalog, read_client
from upflux_etl.runner import run_client
from upflux_etl.state.store import StateStore
from upflux_etl.status import read_status


def failure_messages(result) -> str:
    """Every step failure's message, with the causes Dagster wraps them in."""
    messages = []
    for event in result.all_events:
        error = event.step_failure_data.error if event.is_step_failure else None
        while error is not None:
            messages.append(error.message)
            error = error.cause
    return " ".join(messages)


def test_a_missing_source_fails_the_load_with_the_path_and_is_recorded(
    settings, pseudonym_key, tmp_path
):
    demo = make_demo(settings, months=2, scale=0.2)
    (settings.data_dir / "demo" / "erp.sqlite").unlink()
    result = run_client(settings, "demo", full=True, instance=dg.DagsterInstance.ephemeral())
    assert not result.success
    assert "erp.sqlite not found" in failure_messages(result)
    store = StateStore(settings.state_url)
    assert store.last_run("demo").status == "failed"
    assert not demo.warehouse.exists()
    # `upflux status` shows the failed load and its reason, although nothing was published.
    catalog = read_catalog(settings)
    state = read_status(settings, read_client(settings.clients_dir / "demo.yaml", catalog), catalog)
    assert state["load"] is None
    assert state["last_run"]["status"] == "failed"
    assert "erp.sqlite not found" in state["last_run"]["error"]


def test_a_broken_client_query_names_the_dataset_and_file(settings, pseudonym_key):
    path = write_demo_client(settings.clients_dir, "demo", months=2, scale=0.2)
    (settings.clients_dir / "exams.sql").write_text("select from where (", encoding="utf-8")
    path.write_text(path.read_text() + "datasets:\n  exams: {query: exams.sql}\n", encoding="utf-8")
    # Refused when the client file is read (upflux validate, the definitions), before any load.
    with pytest.raises(ConfigProblems) as caught:
        read_client(path, read_catalog(settings))
    (problem,) = caught.value.problems
    assert problem.field == "datasets.exams.query" and "dataset exams" in problem.message
    assert "cannot parse the query" in problem.message and problem.line is not None


def test_a_query_missing_a_canonical_column_is_named(settings, pseudonym_key):
    demo = make_demo(settings, months=2, scale=0.2)
    path = settings.clients_dir / "demo.yaml"
    (settings.clients_dir / "beds.sql").write_text(
        "select cast(cd_leito as varchar(10)) as bed_id from leito", encoding="utf-8"
    )
    path.write_text(path.read_text() + "datasets:\n  beds: {query: beds.sql}\n", encoding="utf-8")
    demo.client = read_client(path, read_catalog(settings))
    result = materialize_client(demo, instance=dg.DagsterInstance.ephemeral())
    message = failure_messages(result)
    assert "dataset beds" in message and "missing columns" in message and "unit_code" in message


def test_without_the_pseudonymisation_key_nothing_is_extracted(
    settings, monkeypatch, pseudonym_key
):
    demo = make_demo(settings, months=2, scale=0.2)
    monkeypatch.delenv("UPFLUX_PSEUDONYM_KEY_DEMO")
    result = materialize_client(demo, instance=dg.DagsterInstance.ephemeral())
    assert "environment variable UPFLUX_PSEUDONYM_KEY_DEMO is not set" in failure_messages(result)
    assert not demo.warehouse.exists()
