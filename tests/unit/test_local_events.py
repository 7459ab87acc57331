"""`upflux run`'s local event log keeps its SQLite connections, and writes what Dagster reads.

Runs recorded through `LocalEventLogStorage` (runner.instance_for) are read back, events and
asset index alike, by a plain Dagster instance on the same folder (what `dagster dev` opens);
an instance whose dagster.yaml names its storage keeps Dagster's own classes.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.instance.ref import InstanceRef

from upflux_etl.instance import configures_storage
from upflux_etl.local_events import LocalEventLogStorage
from upflux_etl.runner import instance_for
from upflux_etl.settings import Settings


@dg.asset
def counted() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset_check(asset=counted)
def has_rows() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


JOB = dg.Definitions(
    assets=[counted], asset_checks=[has_rows], jobs=[dg.define_asset_job("j")]
).resolve_job_def("j")


def test_runs_written_with_kept_connections_read_the_same_in_dagster(tmp_path, monkeypatch):
    monkeypatch.setenv("UPFLUX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    instance = instance_for(Settings.from_env())
    assert isinstance(instance.event_log_storage, LocalEventLogStorage)
    runs = [JOB.execute_in_process(instance=instance).run_id for _ in range(2)]
    kept = instance.event_log_storage._engines
    assert set(kept) == {"index", runs[-1]}  # an earlier run's database is let go
    counts = [len(instance.all_logs(r)) for r in runs]
    instance.dispose()

    home = str(tmp_path / "data" / "dagster")
    plain = dg.DagsterInstance.from_ref(InstanceRef.from_dir(home))
    assert type(plain.event_log_storage).__name__ == "SqliteEventLogStorage"
    assert [len(plain.all_logs(r)) for r in runs] == counts and min(counts) > 10
    latest = plain.get_latest_materialization_event(dg.AssetKey("counted"))
    assert latest is not None and latest.run_id == runs[-1]
    check = plain.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("counted"), "has_rows")]
    )
    assert next(iter(check.values())).run_id == runs[-1]
    plain.dispose()


def test_an_instance_that_names_its_storage_keeps_it(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    assert not configures_storage(tmp_path)
    (tmp_path / "dagster.yaml").write_text(
        "storage:\n  postgres:\n    postgres_url: postgresql://u@h/db\n", encoding="utf-8"
    )
    assert configures_storage(tmp_path)
