"""Honest check statuses on real loads of the demo (SQLite ERP, real DuckDB, Dagster).

- An incremental load of a few exams, all without a result yet: the dataset-level
  `resulted_at_mostly_filled` is judged on the dataset as published after the merge
  (passed), datasets without new rows are not_applicable at row level, and no check is
  failed with zero failing rows.
- A hospital without triage data: the triage checks are not_applicable, not failed.
"""

from __future__ import annotations

import sqlite3

import dagster as dg
import pytest

from tests.integration.test_demo_pipeline import load_rows
from tests.support.demo import make_demo, materialize_client
from upflux_etl.settings import Settings

TOUCHED_AT = "2026-10-15 08:00:00"  # after the demo's last timestamp, before the tests' now
TOUCHED = 10


def _statuses(client, load_id: str) -> dict[tuple[str, str], tuple]:
    rows = load_rows(
        client,
        "select dataset, check_name, status, level, failing_count, observed, expected "
        "from meta.check_results where load_id = ?",
        [load_id],
    )
    return {(r[0], r[1]): r[2:] for r in rows}


def _assert_honest(statuses: dict) -> None:
    for key, (status, level, failing, observed, expected) in statuses.items():
        assert status in ("passed", "failed", "not_applicable", "error"), key
        if level == "row":
            assert (status == "failed") == (failing > 0), (key, status, failing)
        elif status == "failed":
            assert observed is not None and expected, key


def _erp(settings: Settings, stem: str) -> sqlite3.Connection:
    path = settings.data_dir / stem / "erp.sqlite"  # clients/demo.yaml's URL, per stem
    assert path.exists(), path
    return sqlite3.connect(path)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("statuses")
    (tmp / "clients").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UPFLUX_CLIENTS_DIR", str(tmp / "clients"))
        mp.setenv("UPFLUX_DATA_DIR", str(tmp / "data"))
        mp.setenv("UPFLUX_PSEUDONYM_KEY", "statuses-key-" + "0" * 32)
        yield Settings.from_env()


@pytest.fixture(scope="module")
def incremental(settings):
    client = make_demo(settings, "inc")
    instance = dg.DagsterInstance.ephemeral()
    full = materialize_client(client, instance=instance)
    assert full.success
    # clean published exams (a defective one would rightly fail its row check again)
    ids = [
        int(r[0])
        for r in load_rows(
            client,
            "select order_id from main.exams order by order_id::bigint desc limit ?",
            [TOUCHED],
        )
    ]
    erp = _erp(settings, "inc")
    with erp:
        marks = ", ".join("?" for _ in ids)
        erp.execute(
            "update pedido_exame set dt_resultado = null, dt_liberacao = null, "
            f"dt_atualizacao = ? where nr_pedido in ({marks})",
            [TOUCHED_AT, *ids],
        )
    erp.close()
    result = materialize_client(client, full=False, instance=instance)
    assert result.success
    return client, full, result


def test_an_incremental_load_of_a_few_exams_is_judged_on_the_dataset_as_published(incremental):
    client, _, result = incremental
    ledger = dict(
        load_rows(
            client, "select dataset, extracted from meta.ledger where load_id = ?", [result.run_id]
        )
    )
    assert TOUCHED <= ledger["exams"] < 2 * TOUCHED  # the watermark's own second is re-read
    statuses = _statuses(client, result.run_id)
    _assert_honest(statuses)
    status, _, _, observed, expected = statuses[("exams", "resulted_at_mostly_filled")]
    assert status == "passed" and observed > 0.5 and expected == "≥ 0.5"
    # every exam of the load lacks a result: the pair check judged none of the load's rows, yet
    # the hospital fills the field, so it is not "not applicable". The exams still open in
    # quarantine from the full load (result before order) are checked again and still fail:
    # the check stays failed, counting only them, until they are fixed at the source.
    status, _, failing = statuses[("exams", "result_after_order")][:3]
    still_open = load_rows(
        client,
        "select count(*) from quarantine.exams where list_contains(_reasons, 'result_after_order')",
    )[0][0]
    assert (status, failing) == (("failed", still_open) if still_open else ("passed", 0))
    assert statuses[("exams", "order_id_unique")][0] == "passed"
    for (dataset, name), (status, level, *_rest) in statuses.items():
        if ledger.get(dataset) == 0:
            assert status == ("not_applicable" if level == "row" else "passed"), (dataset, name)
    # A failed check on this load is one whose records stay open in quarantine from the full
    # load (the demo's defects, not fixed at the source): it counts exactly those.
    for (dataset, name), (status, level, failing, *_rest) in statuses.items():
        if status != "failed":
            continue
        assert level == "row", (dataset, name)
        still_open = load_rows(
            client,
            f'select count(*) from quarantine."{dataset}" where list_contains(_reasons, ?)',
            [name],
        )[0][0]
        assert failing == still_open > 0, (dataset, name, failing, still_open)


def test_status_json_and_asset_checks_carry_the_statuses(incremental):
    client, _, result = incremental
    evaluations = {
        (
            e.asset_check_evaluation_data.asset_check_key.asset_key.path[-1],
            e.asset_check_evaluation_data.check_name,
        ): e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    statuses = _statuses(client, result.run_id)
    assert set(evaluations) == set(statuses)
    for key, data in evaluations.items():
        assert data.metadata["status"].value == statuses[key][0], key
        assert data.passed == (statuses[key][0] in ("passed", "not_applicable")), key


@pytest.fixture(scope="module")
def no_triage(settings):
    client = make_demo(settings, "notriage")
    erp = _erp(settings, "notriage")
    with erp:
        erp.execute("delete from triagem_ps")
    erp.close()
    result = materialize_client(client)
    assert result.success
    return client, result


def test_a_hospital_without_triage_data_gets_not_applicable_triage_checks(no_triage):
    client, result = no_triage
    statuses = _statuses(client, result.run_id)
    _assert_honest(statuses)
    for name in (
        "triage_started_at_mostly_filled",
        "triage_after_arrival",
        "triage_end_after_start",
    ):
        assert statuses[("er_visits", name)][0] == "not_applicable", name
    assert statuses[("er_visits", "left_after_arrival")][0] in ("passed", "failed")
