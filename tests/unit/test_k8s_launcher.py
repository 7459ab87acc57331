"""The Kubernetes run launcher's configuration (deploy/k8s/run_launcher.yaml), checked against
dagster-k8s's own config schema without a cluster."""

from __future__ import annotations

import yaml
from dagster._config import process_config
from dagster_k8s import K8sRunLauncher

from upflux_etl.settings import project_root

LAUNCHER = project_root() / "deploy" / "k8s" / "run_launcher.yaml"


def launcher_section() -> dict:
    return yaml.safe_load(LAUNCHER.read_text(encoding="utf-8"))["run_launcher"]


def test_the_k8s_run_launcher_config_is_valid_for_the_pinned_dagster_k8s():
    section = launcher_section()
    assert (section["module"], section["class"]) == ("dagster_k8s", "K8sRunLauncher")
    result = process_config(K8sRunLauncher.config_type(), section["config"])
    assert result.success, [e.message for e in result.errors or []]


def test_a_misspelt_key_is_refused_so_the_check_means_something():
    config = {**launcher_section()["config"], "volume_mount": []}
    assert not process_config(K8sRunLauncher.config_type(), config).success


def test_secrets_come_from_kubernetes_secrets_not_from_the_file():
    config = launcher_section()["config"]
    text = LAUNCHER.read_text(encoding="utf-8")
    assert "password" not in text.replace("postgres_password_secret", "")
    assert all("=" in v and "URL" not in v.split("=")[0] for v in config["env_vars"])
