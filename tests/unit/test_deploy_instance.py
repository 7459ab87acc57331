"""The production instance's configuration (deploy/dagster.yaml) and the run tags it reads."""

from __future__ import annotations

import json
import subprocess
import sys

import dagster as dg
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from tests.support.demo import write_demo_client
from upflux_etl.catalog.models import MAX_CONCURRENT_QUERIES, SourceSpec
from upflux_etl.catalog.reader import read_catalog
from upflux_etl.definitions import build_definitions
from upflux_etl.definitions.run_tags import CLIENT_TAG, source_database, source_limit_key
from upflux_etl.settings import project_root

DEPLOY = project_root() / "deploy"


def test_the_production_instance_config_is_valid_and_reads_its_connection_from_the_environment():
    config, _ = dagster_instance_config(str(DEPLOY))
    text = (DEPLOY / "dagster.yaml").read_text()
    assert "postgresql://" not in text
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "UPFLUX_DAGSTER_PG_URL"}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["telemetry"] == {"enabled": False}
    assert config["run_retries"] == {"enabled": False}
    assert config["concurrency"]["pools"] == {"granularity": "run", "default_limit": 1}


def test_every_source_limit_a_client_file_can_pick_has_its_queue_limit(settings):
    limits = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["concurrency"]["runs"]
    by_key = {e["key"]: e for e in limits["tag_concurrency_limits"]}
    assert by_key[CLIENT_TAG]["limit"] == 1
    kinds = {d.source for d in read_catalog(settings).canonical.datasets.values()}
    for kind in kinds:
        for n in range(1, MAX_CONCURRENT_QUERIES + 1):
            entry = by_key[source_limit_key(kind, n)]
            assert entry == {
                "key": source_limit_key(kind, n),
                "value": {"applyLimitPerUniqueValue": True},
                "limit": n,
            }


def test_a_source_names_its_database_without_its_secret():
    by_env = SourceSpec(profile="hospitalis", url_env="HOSP_ERP_URL")
    inline = SourceSpec(profile="hospitalis", url="postgresql://erp.hosp:5432/tasy")
    same_db = SourceSpec(profile="hospitalis", url="postgresql://erp.hosp:5432/tasy", schema="x")
    assert source_database(inline) == source_database(same_db)
    assert source_database(by_env) != source_database(inline)
    assert len(source_database(by_env)) == 16


@pytest.mark.parametrize("value", [0, MAX_CONCURRENT_QUERIES + 1])
def test_max_concurrent_queries_is_bounded_by_the_queue_limits(value):
    with pytest.raises(ValueError, match="max_concurrent_queries"):
        SourceSpec(profile="hospitalis", url_env="X", max_concurrent_queries=value)


def test_nightly_runs_carry_the_hospital_and_its_databases_and_no_run_retries(
    settings, pseudonym_key
):
    write_demo_client(settings.clients_dir, "north")
    data = yaml.safe_load((settings.clients_dir / "north.yaml").read_text())
    data["sources"]["erp"]["max_concurrent_queries"] = 2
    (settings.clients_dir / "north.yaml").write_text(yaml.safe_dump(data))
    job = build_definitions(settings).resolve_job_def("north__nightly")
    assert job.name == "north__nightly"
    assert job.tags[CLIENT_TAG] == "north"
    assert "upflux/source/erp/max2" in job.tags
    assert "upflux/source/platform/max1" in job.tags
    assert not any(k.startswith("dagster/max_retries") or "retry" in k for k in job.tags)
    assert job.op_retry_policy is None


# A fresh interpreter: this test session may already have imported Great Expectations.
PROBE = """
import json, sys
import {module}
print(json.dumps(sorted(m for m in sys.modules if m.startswith("great_expectations"))[:3]))
"""


@pytest.mark.parametrize("module", ["upflux_etl.definitions", "upflux_etl.pipeline.datasets"])
def test_loading_the_definitions_or_a_load_imports_no_great_expectations(module):
    """The code server, every run's start and every load skip GX's seconds of imports: a
    load compiles its checks from the registry generated from GX (DECISIONS.md)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_dagster_definitions_still_load(settings, pseudonym_key):
    write_demo_client(settings.clients_dir, "north")
    assert isinstance(build_definitions(settings), dg.Definitions)
