"""The Dagster definitions built from the clients folder."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from tests.support.demo import write_demo_client
from upflux_etl.definitions import build_definitions

GOLDEN = Path(__file__).parent.parent / "golden" / "definitions_demo.txt"


def keys_and_checks(defs: dg.Definitions, prefix: str) -> list[str]:
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        if key.path[0] == prefix:
            lines.append(key.to_user_string())
            for check in sorted(graph.get(key).check_keys, key=lambda c: c.name):
                lines.append(f"    check {check.name}")
    return lines


def test_the_asset_graph_and_its_checks_are_a_reviewable_snapshot(settings, pseudonym_key):
    write_demo_client(settings.clients_dir)
    lines = keys_and_checks(build_definitions(settings), "demo")
    if (
        os.environ.get("UPFLUX_UPDATE_GOLDEN") == "1"
    ):  # regenerate: UPFLUX_UPDATE_GOLDEN=1 pytest ...
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lines == GOLDEN.read_text(encoding="utf-8").splitlines()


def test_a_new_client_file_appears_and_a_broken_one_is_reported_alone(settings, pseudonym_key):
    write_demo_client(settings.clients_dir)
    write_demo_client(settings.clients_dir, "Hospital São José-Norte", seed=7)
    (settings.clients_dir / "broken.yaml").write_text(
        "name: X\ntimezone: Mars/Base\nsources: {}\n", encoding="utf-8"
    )
    defs = build_definitions(settings)
    prefixes = {k.path[0] for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert prefixes == {"demo", "hospital_sao_jose_norte", "broken"}
    assert len(keys_and_checks(defs, "hospital_sao_jose_norte")) == len(
        keys_and_checks(defs, "demo")
    )
    broken = defs.resolve_assets_def(dg.AssetKey(["broken", "config_error"]))
    assert (
        "broken.yaml: timezone: unknown IANA time zone"
        in broken.specs_by_key[broken.key].description
    )
    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert {"demo__nightly", "hospital_sao_jose_norte__nightly"} <= jobs
    result = dg.materialize([broken], raise_on_error=False)
    assert not result.success


def test_schedules_run_in_each_hospitals_time_zone(settings, pseudonym_key):
    path = write_demo_client(settings.clients_dir)
    path.write_text(
        path.read_text().replace("America/Sao_Paulo", "America/Rio_Branco"), encoding="utf-8"
    )
    defs = build_definitions(settings)
    schedule = defs.resolve_schedule_def("demo__nightly_schedule")
    assert schedule.execution_timezone == "America/Rio_Branco"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def test_every_job_runs_in_one_process(settings, pseudonym_key):
    write_demo_client(settings.clients_dir)
    job = build_definitions(settings).resolve_job_def("demo__nightly")
    assert job.executor_def is dg.in_process_executor


def test_an_indicator_needing_a_missing_dataset_is_a_config_error_for_that_client(
    settings, pseudonym_key
):
    path = write_demo_client(settings.clients_dir)
    path.write_text(path.read_text() + "datasets:\n  beds: {enabled: false}\n", encoding="utf-8")
    defs = build_definitions(settings)
    error = defs.resolve_assets_def(dg.AssetKey(["demo", "config_error"]))
    assert "occupancy_rate needs datasets ['beds']" in error.specs_by_key[error.key].description


def test_failed_loads_are_recorded_by_a_sensor(settings, pseudonym_key):
    write_demo_client(settings.clients_dir)
    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def("upflux_failed_loads")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_every_asset_of_a_hospital_is_in_its_one_run_pool(settings, pseudonym_key):
    write_demo_client(settings.clients_dir)
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    pools = {
        defs.resolve_assets_def(key).op.pool
        for key in graph.get_all_asset_keys()
        if key.path[0] == "demo"
    }
    assert pools == {"upflux_demo"}
