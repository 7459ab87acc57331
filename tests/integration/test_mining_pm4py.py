"""`upflux mine` equals pm4py on a real log (hospital billing) and on the demo's event log.

pm4py (AGPL-3.0, test-only extra) is the independent implementation. Its alignments are
slow (about 1.4 s per variant of the billing log against its inductive-miner model), so
fitness is compared on a documented subset of the cases; counts, variants, edges and
durations on the whole log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.support import pm4py_oracle
from tests.support.demo import make_demo, materialize_client
from tests.support.shared import shared_dir
from upflux_etl.catalog.eventlog import read_event_log_sql
from upflux_etl.mining.dfg import directly_follows
from upflux_etl.mining.durations import case_durations
from upflux_etl.mining.read import read_event_log
from upflux_etl.mining.variants import variants
from upflux_etl.mining.warehouse_log import export_event_log
from upflux_etl.settings import Settings, project_root

BILLING = shared_dir()
BILLING = BILLING / "data" / "hospital_billing" / "hospital_billing.csv.gz"
FITNESS_CASES = 150  # the billing log's first 150 cases (file order) for the alignments
TOP_VARIANTS = 100  # the demo log's cases of its 100 most frequent variants, likewise


def _mine(*args: str) -> dict:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "upflux"), "mine", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _same_as_pm4py(log_path: Path, events: pd.DataFrame) -> None:
    """Variants, edges and case durations of our reading equal pm4py's on `events`."""
    pm = pm4py_oracle.pm4py()
    ours = read_event_log(log_path)
    assert variants(ours).as_dict() == pm.get_variants(events)
    dfg, starts, ends = pm.discover_dfg(events)
    graph = directly_follows(ours)
    assert graph.counts() == dfg
    assert (graph.start_activities, graph.end_activities) == (starts, ends)
    assert sorted(case_durations(ours).tolist()) == sorted(pm.get_all_case_durations(events))


@pytest.fixture(scope="module")
def billing(tmp_path_factory):
    if not BILLING.exists():
        pytest.fail(f"{BILLING}: the real hospital billing log is missing")
    pm = pm4py_oracle.pm4py()
    raw = pd.read_csv(BILLING, dtype=str, keep_default_na=False)
    # One event has an empty case id: no case (ours counts it apart; pandas' defaults + pm4py
    # drop it too).
    raw = raw[raw["case_id"] != ""]
    events = pm.format_dataframe(
        raw, case_id="case_id", activity_key="activity", timestamp_key="timestamp"
    )
    folder = tmp_path_factory.mktemp("billing")
    model = folder / "inductive.bpmn"
    # The inductive miner with its noise filter (0.2), so the model does not fit every case.
    pm.write_bpmn(
        pm.discover_bpmn_inductive(events, noise_threshold=0.2), str(model), auto_layout=False
    )
    subset = raw[raw["case_id"].isin(raw["case_id"].drop_duplicates().head(FITNESS_CASES))]
    subset_path = folder / "subset.csv"
    subset.to_csv(subset_path, index=False)
    subset_events = pm.format_dataframe(
        subset.copy(), case_id="case_id", activity_key="activity", timestamp_key="timestamp"
    )
    return events, model, subset_path, subset_events


def test_billing_log_counts_variants_edges_durations_equal_pm4py(billing):
    events, _, _, _ = billing
    _same_as_pm4py(BILLING, events)
    payload = _mine(str(BILLING))
    assert payload["cases"] == events["case:concept:name"].nunique() == 9999
    assert payload["events"] == len(events) and payload["events_without_case"] == 1
    assert payload["variants"] == len(pm4py_oracle.pm4py().get_variants(events))
    assert payload["edges"] == len(pm4py_oracle.pm4py().discover_dfg(events)[0])
    assert payload["activities"] == events["concept:name"].nunique()
    assert "fitness" not in payload


def test_billing_fitness_against_pm4py_inductive_model(billing, tmp_path):
    _, model, subset_path, subset_events = billing
    theirs = pm4py_oracle.conformance(subset_events, model)
    cache = tmp_path / "alignments.parquet"
    payload = _mine(str(subset_path), "--model", str(model), "--cache", str(cache))
    assert abs(payload["fitness"] - theirs.raw_log_fitness) < 1e-6  # pm4py's own number
    assert abs(payload["fitness_deviations"] - theirs.fitness) < 1e-6  # silent moves free
    assert payload["fitting_cases"] == pytest.approx(theirs.fitting_share)
    assert theirs.fitness < 1  # the comparison covers deviations, not only fitting cases
    assert _mine(str(subset_path), "--model", str(model), "--cache", str(cache)) == payload


def test_demo_event_log_equals_pm4py_against_the_reference_model(tmp_path):
    root = tmp_path
    (root / "clients").mkdir()
    settings = Settings(
        root=project_root(),
        clients_dir=root / "clients",
        data_dir=root / "data",
        state_url=f"sqlite:///{root / 'state.sqlite'}",
    )
    demo = make_demo(settings, beds=60, months=4, scale=0.5)
    assert materialize_client(demo).success
    with duckdb.connect(str(demo.warehouse), read_only=True) as con:
        exported = export_event_log(con, read_event_log_sql(project_root()), root / "eventlog")
    # The command does the same from the client's name.
    env = {
        **os.environ,
        "UPFLUX_CLIENTS_DIR": str(settings.clients_dir),
        "UPFLUX_DATA_DIR": str(settings.data_dir),
        "UPFLUX_STATE_URL": settings.state_url,
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "upflux"), "eventlog", "demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    command_out = settings.data_dir / "demo" / "eventlog" / "event_log.parquet"
    assert pd.read_parquet(command_out).equals(pd.read_parquet(exported.parquet))
    pm = pm4py_oracle.pm4py()
    events = pm.read_xes(str(exported.xes))
    assert exported.cases == events["case:concept:name"].nunique() > 1000
    _same_as_pm4py(exported.xes, events)
    _same_as_pm4py(exported.parquet, events)
    activities = set(events["concept:name"])
    assert {
        "arrival",
        "triage",
        "medical contact",
        "admission",
        "discharge",
        "billed",
    } <= activities
    model = project_root() / "assets" / "reference_models" / "encounter.bpmn"
    payload = _mine(str(exported.parquet), "--model", str(model))
    assert payload["cases"] == exported.cases and payload["events"] == exported.events
    # pm4py needs about a second per variant: fitness on the cases of the 100 most frequent
    # variants (most of the cases), through the same `upflux mine`.
    per_case = events.groupby("case:concept:name", sort=False)["concept:name"].agg(tuple)
    top = per_case.value_counts().head(TOP_VARIANTS).index
    chosen = events[events["case:concept:name"].isin(per_case[per_case.isin(top)].index)]
    assert chosen["case:concept:name"].nunique() > 0.6 * exported.cases
    subset = root / "subset.parquet"
    chosen.to_parquet(subset, index=False)
    payload = _mine(str(subset), "--model", str(model))
    theirs = pm4py_oracle.conformance(chosen, model)
    assert abs(payload["fitness"] - theirs.raw_log_fitness) < 1e-6  # pm4py's own number
    assert abs(payload["fitness_deviations"] - theirs.fitness) < 1e-6  # silent moves free
    assert payload["fitting_cases"] == pytest.approx(theirs.fitting_share)
    assert theirs.fitness < 1
