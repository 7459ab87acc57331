"""The implementation checklist: automatic evidence from the pipeline, people's events."""

from __future__ import annotations

import pytest
import yaml

from tests.unit.test_state_support import (
    canonical,
    ledger,
    make_client,
    make_run,
    make_warehouse,
    utc,
)
from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import DatasetOverride
from upflux_etl.catalog.reader import read_rounds
from upflux_etl.checklist import Rounds, checklist_status, record_checklist
from upflux_etl.settings import project_root
from upflux_etl.state import StateStore

ALL_ERP = (
    "patients",
    "encounters",
    "er_visits",
    "bed_movements",
    "beds",
    "exams",
    "surgeries",
    "surgery_rooms",
    "billing",
)
SHA = "ab" * 32


@pytest.fixture
def rounds() -> Rounds:
    return read_rounds(project_root())


@pytest.fixture
def store(tmp_path):
    s = StateStore(f"sqlite:///{tmp_path / 'state.sqlite'}")
    yield s
    s.dispose()


def full_ledger(*datasets: str) -> dict:
    return ledger(**{d: (10, 10, 0, 0) for d in datasets})


def status(store, rounds, item, warehouse=None, client=None, **kw):
    return checklist_status(client or make_client(), store, warehouse, rounds, **kw).item(item)


def test_the_shipped_rounds_declare_the_seed_items(rounds):
    ids = [(n, i.id) for n, i in rounds.items()]
    assert ids == [
        (1, "kickoff"),
        (1, "integration_alignment"),
        (1, "data_sending"),
        (1, "initial_validation"),
        (2, "training_schedule"),
        (2, "platform_configured"),
        (2, "data_validated"),
        (3, "training_1"),
        (3, "training_2"),
        (3, "training_3"),
        (3, "layout_adjustments"),
    ]
    assert rounds.item("kickoff").title == "Reunião de Kick-off"
    assert rounds.item("data_validated").evidence == ["automatic", "person"]
    assert rounds.item("data_validated").params == {"consecutive_loads": 3}
    assert rounds.item("data_sending").evidence == ["automatic"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"id": "x", "title": "X", "evidence": ["automatic"]}, "names a rule"),
        ({"id": "x", "title": "X", "evidence": ["automatic"], "rule": "magic"}, "unknown rule"),
        (
            {"id": "x", "title": "X", "evidence": ["person"], "rule": "connection_ok"},
            "names a rule",
        ),
        (
            {
                "id": "x",
                "title": "X",
                "evidence": ["automatic"],
                "rule": "connection_ok",
                "requires": ["date"],
            },
            "requires",
        ),
    ],
)
def test_incoherent_items_are_config_errors(tmp_path, item, message):
    path = tmp_path / "assets" / "checklist"
    path.mkdir(parents=True)
    (path / "rounds.yaml").write_text(
        yaml.safe_dump({"rounds": [{"round": 1, "title": "R", "items": [item]}]})
    )
    with pytest.raises(ConfigError, match=message):
        read_rounds(tmp_path)


def test_nothing_done_on_a_new_client(store, rounds):
    st = checklist_status(make_client(), store, None, rounds)
    assert st.done == 0 and st.total == 11 and {i.status for i in st.items} == {"pending"}
    assert st.next_pending().id == "kickoff"


def test_data_sending_needs_every_required_dataset_extracted(store, rounds):
    store.record_run(make_run("L1", utc(2026, 10, 1), books=full_ledger("encounters", "exams")))
    item = status(store, rounds, "data_sending")
    assert item.status == "in_progress" and "faltam" in item.evidence and "billing" in item.evidence
    store.record_run(make_run("L2", utc(2026, 10, 2), books=full_ledger(*ALL_ERP[:-1])))
    assert status(store, rounds, "data_sending").status == "in_progress"
    client = make_client(datasets={"billing": DatasetOverride(enabled=False)})
    assert status(store, rounds, "data_sending", client=client).status == "done"
    store.record_run(make_run("L3", utc(2026, 10, 3), books=full_ledger(*ALL_ERP)))
    assert status(store, rounds, "data_sending").status == "done"


def test_zero_rows_extracted_is_not_sending(store, rounds):
    books = full_ledger(*ALL_ERP)
    books["billing"] = {"extracted": 0, "published": 0, "quarantined": 0, "held": 0}
    store.record_run(make_run("L1", utc(2026, 10, 1), books=books))
    assert status(store, rounds, "data_sending").status == "in_progress"


def test_initial_validation_needs_a_report_and_no_blocking_failure_on_the_last_load(store, rounds):
    failing = [
        {
            "dataset": "encounters",
            "name": "volume",
            "level": "dataset",
            "blocking": True,
            "passed": False,
            "failing_count": 1,
        }
    ]
    store.record_run(make_run("L1", utc(2026, 10, 1), report_sha256=SHA))
    assert status(store, rounds, "initial_validation").status == "done"
    store.record_run(make_run("L2", utc(2026, 10, 2), status="held", checks=failing))
    item = status(store, rounds, "initial_validation")
    assert item.status == "in_progress" and "encounters.volume" in item.evidence


def test_platform_configured_from_the_warehouse(tmp_path, store, rounds):
    con = make_warehouse(tmp_path / "w.duckdb", canonical())
    con.execute(
        "insert into meta.loads values ('L1', 'hosp_a', 'full', "
        "timestamptz '2026-10-01 05:00:00+00', timestamptz '2026-10-01 05:10:00+00', 'published')"
    )
    con.execute(
        "insert into meta.indicator_values values "
        "('L1', 'occupancy_rate', date '2026-09-01', '{}', 'value', 81.5, '%'), "
        "('L1', 'door_to_triage', date '2026-09-01', '{}', 'p50', null, 'min')"
    )
    item = status(store, rounds, "platform_configured", warehouse=con)
    assert item.status == "in_progress" and "door_to_triage" in item.evidence
    con.execute(
        "insert into meta.indicator_values values "
        "('L1', 'door_to_triage', date '2026-09-01', '{}', 'p90', 12.0, 'min')"
    )
    assert status(store, rounds, "platform_configured", warehouse=con).status == "done"
    # as of before the load finished, nothing was computed yet
    early = status(store, rounds, "platform_configured", warehouse=con, at=utc(2026, 10, 1, 5, 5))
    assert early.status == "pending"


def test_platform_configured_from_runs_without_a_warehouse(store, rounds):
    store.record_run(
        make_run("L1", utc(2026, 10, 1), indicators={"occupancy_rate": 12, "door_to_triage": 0})
    )
    assert status(store, rounds, "platform_configured").status == "in_progress"
    store.record_run(
        make_run("L2", utc(2026, 10, 2), indicators={"occupancy_rate": 12, "door_to_triage": 3})
    )
    assert status(store, rounds, "platform_configured").status == "done"
    assert (
        status(store, rounds, "platform_configured", client=make_client(indicators=[])).status
        == "pending"
    )


def test_data_validated_needs_consecutive_reconciled_loads_and_a_sign_off_of_a_real_report(
    store, rounds
):
    for i in (1, 2):
        store.record_run(make_run(f"L{i}", utc(2026, 10, i)))
    store.record_run(make_run("L3", utc(2026, 10, 3), books=ledger(encounters=(10, 8, 0, 0))))
    for i in (4, 5):
        store.record_run(make_run(f"L{i}", utc(2026, 10, i), report_sha256=SHA if i == 5 else None))
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "data_validated",
        "done",
        "ti.hospital",
        details={"report_sha256": SHA},
    )
    item = status(store, rounds, "data_validated")
    assert item.status == "in_progress"  # streaks of 2 around an unbalanced load
    store.record_run(make_run("L6", utc(2026, 10, 6)))
    assert status(store, rounds, "data_validated").status == "done"


def test_a_sign_off_of_a_report_that_was_never_produced_does_not_count(store, rounds):
    for i in (1, 2, 3):
        store.record_run(make_run(f"L{i}", utc(2026, 10, i), report_sha256=SHA))
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "data_validated",
        "done",
        "ti",
        details={"report_sha256": "cd" * 32},
    )
    item = status(store, rounds, "data_validated")
    assert item.status == "in_progress" and "não foi produzido" in item.evidence


def test_a_person_cannot_make_an_automatic_item_done(store, rounds):
    with pytest.raises(ValueError, match="pipeline only"):
        record_checklist(store, rounds, "hosp_a", "data_sending", "done", "ana")
    # even written straight into the store, the event is not evidence for an automatic item
    store.record_checklist_event("hosp_a", "data_sending", "done", "ana")
    store.record_checklist_event("hosp_a", "platform_configured", "done", "ana")
    assert status(store, rounds, "data_sending").status == "pending"
    assert status(store, rounds, "platform_configured").status == "pending"


def test_integration_alignment_needs_the_person_and_a_passing_connection(store, rounds):
    record_checklist(store, rounds, "hosp_a", "integration_alignment", "done", "joao", note="ok")
    assert status(store, rounds, "integration_alignment").status == "in_progress"
    store.record_run(
        make_run("L1", utc(2026, 10, 1), status="failed", books={}, connection_ok=False)
    )
    assert status(store, rounds, "integration_alignment").status == "in_progress"
    store.record_run(make_run("L2", utc(2026, 10, 2)))
    item = status(store, rounds, "integration_alignment")
    assert item.status == "done" and item.recorded_by == "joao" and item.note == "ok"


def test_the_latest_person_event_wins_and_history_is_kept(store, rounds):
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "training_1",
        "scheduled",
        "ana",
        details={"date": "2026-11-03"},
        recorded_at=utc(2026, 10, 1),
    )
    assert status(store, rounds, "training_1").status == "in_progress"
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "training_1",
        "done",
        "ana",
        details={"date": "2026-11-03", "attendees": ["enf. chefe", "gestor TI"]},
        recorded_at=utc(2026, 11, 3, 20),
    )
    done = status(store, rounds, "training_1")
    assert done.status == "done" and str(done.done_on) == "2026-11-03"
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "training_1",
        "not_done",
        "bruno",
        note="registrado no hospital errado",
        recorded_at=utc(2026, 11, 4),
    )
    fixed = status(store, rounds, "training_1")
    assert fixed.status == "pending" and fixed.recorded_by == "bruno"
    assert [e.status for e in fixed.history] == ["scheduled", "done", "not_done"]
    # as of before the correction, the training was done
    assert status(store, rounds, "training_1", at=utc(2026, 11, 3, 23)).status == "done"


def test_done_needs_the_required_details(store, rounds):
    with pytest.raises(ValueError, match="attendees"):
        record_checklist(
            store, rounds, "hosp_a", "training_2", "done", "ana", details={"date": "2026-11-10"}
        )
    with pytest.raises(ValueError, match="64"):
        record_checklist(
            store,
            rounds,
            "hosp_a",
            "data_validated",
            "done",
            "ti",
            details={"report_sha256": "abc"},
        )
    with pytest.raises(KeyError, match="unknown checklist item"):
        record_checklist(store, rounds, "hosp_a", "training_9", "done", "ana")


def test_progress_counts_done_items(store, rounds):
    record_checklist(
        store, rounds, "hosp_a", "kickoff", "done", "ana", details={"date": "2026-09-01"}
    )
    record_checklist(store, rounds, "hosp_a", "layout_adjustments", "done", "ana")
    st = checklist_status(make_client(), store, None, rounds)
    assert (st.done, st.total) == (2, 11) and st.share_done == pytest.approx(2 / 11)
    assert st.next_pending().id == "integration_alignment"
