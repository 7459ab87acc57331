"""One validation of the whole project: every problem of every file, in one pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from upflux_etl.catalog.validation import validate_project
from upflux_etl.settings import Settings, project_root

KEY = "k" * 32
GOOD = """
name: Hospital Teste
timezone: America/Manaus
sources:
  erp: {profile: hospitalis, url: "sqlite:///{data_dir}/x.sqlite"}
pseudonymisation: {key_env: UPFLUX_PSEUDONYM_KEY}
indicators: [occupancy_rate, exam_turnaround]
"""


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of the project's declarative files, and an empty clients folder."""
    root = tmp_path / "project"
    for folder in ("connectors", "expectations", "assets"):
        shutil.copytree(project_root() / folder, root / folder)
    (root / "clients").mkdir()
    monkeypatch.setenv("UPFLUX_ROOT", str(root))
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(root / "clients"))
    monkeypatch.setenv("UPFLUX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY", KEY)
    return root


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_client(root: Path, name: str, text: str) -> Path:
    path = root / "clients" / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(validation, file_part: str) -> dict[str, str]:
    return {p.field: p.message for p in validation.problems if file_part in p.file}


def test_the_shipped_project_validates(monkeypatch):
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY_DEMO", KEY)
    validation = validate_project(Settings.from_env())
    assert validation.ok, [str(p) for p in validation.problems]
    assert [c.slug for c in validation.clients] == ["demo"]


def test_a_value_set_from_typo_is_a_problem_with_its_line(project):
    suite = project / "expectations" / "billing.yaml"
    edit_yaml(
        suite,
        lambda d: d["expectations"].append(
            {
                "name": "billing_account_known",
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "account_id"},
                "value_set_from": "encounters.encounter_idd",
            }
        ),
    )
    validation = validate_project(Settings.from_env())
    assert validation.catalog is None
    (problem,) = [p for p in validation.problems if p.file == str(suite)]
    assert problem.field.endswith(".value_set_from")
    assert "no column 'encounter_idd'" in problem.message
    assert problem.line and "value_set_from" in suite.read_text().splitlines()[problem.line - 1]


def test_everything_wrong_is_reported_in_one_run(project):
    edit_yaml(project / "assets" / "health" / "score.yaml", _weights_sum_to_110)
    edit_yaml(project / "connectors" / "hospitalis" / "profile.yaml", _no_standard_beds_query)
    write_client(
        project,
        "disabled.yaml",
        GOOD + "datasets: {exams: {enabled: false}, beds: {enabled: false}}\n",
    )
    write_client(project, "inherits.yaml", GOOD)
    three = (
        GOOD.replace("America/Manaus", "Mars/Olympus").replace(
            "indicators:", "segment: huge\nindicators:"
        )
        + "colour: blue\ndatasets: {beds: {enabled: false}}\n"
    )
    write_client(project, "three.yaml", three)

    validation = validate_project(Settings.from_env())
    assert not validation.ok
    health = problems_of(validation, "score.yaml")
    assert "weights" in health and "sum to 100 (they sum to 110" in health["weights"]
    # the project's own files are wrong: clients are not judged against a broken catalog
    assert validation.catalog is None

    edit_yaml(project / "assets" / "health" / "score.yaml", _weights_back_to_100)
    validation = validate_project(Settings.from_env())
    disabled = problems_of(validation, "disabled.yaml")
    assert disabled == {
        "indicators.0": "occupancy_rate needs datasets ['beds'] switched off here "
        "(datasets.beds.enabled: false)",
        "indicators.1": "exam_turnaround needs datasets ['exams'] switched off here "
        "(datasets.exams.enabled: false)",
    }
    inherits = problems_of(validation, "inherits.yaml")
    assert {"datasets.beds", "indicators.0"} == set(inherits)
    assert "no standard query for beds" in inherits["datasets.beds"]
    assert set(problems_of(validation, "three.yaml")) == {"timezone", "segment", "colour"}
    assert [c.slug for c in validation.clients] == []


def test_a_missing_environment_variable_is_named_without_a_value(project, monkeypatch):
    monkeypatch.delenv("UPFLUX_PSEUDONYM_KEY")
    write_client(
        project,
        "remote.yaml",
        GOOD.replace('url: "sqlite:///{data_dir}/x.sqlite"', "url_env: REMOTE_ERP_URL"),
    )
    validation = validate_project(Settings.from_env(), environ={"REMOTE_ERP_URL": ""})
    got = problems_of(validation, "remote.yaml")
    assert set(got) == {"sources.erp.url_env", "pseudonymisation.key_env"}
    assert "REMOTE_ERP_URL is not set" in got["sources.erp.url_env"]
    # the definitions do not judge the environment (secrets may live in the run's pod)
    assert validate_project(Settings.from_env(), check_environment=False).ok


# A fresh interpreter running the CLI: 10-20 s, more than the unit tier can spend (conftest.py).
@pytest.mark.integration
def test_upflux_validate_reports_all_problems_without_a_traceback_or_gx(project):
    edit_yaml(project / "assets" / "health" / "score.yaml", _weights_sum_to_110)
    edit_yaml(project / "assets" / "checklist" / "rounds.yaml", _unknown_rule)
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from upflux_etl.cli.main import app\n"
        "r = CliRunner().invoke(app, ['validate'])\n"
        "print(r.output)\n"
        "print('GX' if 'great_expectations' in sys.modules else 'no GX')\n"
        "sys.exit(r.exit_code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "score.yaml" in done.stdout and "weights" in done.stdout
    assert "rounds.yaml" in done.stdout and "no_such_rule" in done.stdout
    assert done.stdout.strip().endswith("no GX")


def _weights_sum_to_110(data: dict) -> None:
    data["weights"]["freshness"] += 10


def _weights_back_to_100(data: dict) -> None:
    data["weights"]["freshness"] -= 10


def _no_standard_beds_query(data: dict) -> None:
    data["datasets"]["beds"] = None


def _unknown_rule(data: dict) -> None:
    item = next(i for r in data["rounds"] for i in r["items"] if i.get("rule"))
    item["rule"] = "no_such_rule"
