"""The `upflux` command as a person runs it: the real executable, in subprocesses, each world in
its own temporary clients/data/Dagster folders. A call that runs or checks the pipeline imports
Great Expectations (~10 s), so each world is built once per module and independent calls run
side by side."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

from tests.e2e.conftest import KEY_ENV, Call, Pending, World, assert_ok, new_world

DATASETS = {
    "patients",
    "encounters",
    "bed_movements",
    "beds",
    "er_visits",
    "exams",
    "surgeries",
    "surgery_rooms",
    "billing",
    "platform_usage",
}
# Every indicator of the catalog: the demo configures them all.
INDICATORS = {p.stem for p in (Path(__file__).parents[2] / "assets" / "indicators").glob("*.yaml")}
PASSWORD = "S3cr3t-Pa55"


def printed_path(call: Call, label: str) -> Path:
    """The path printed on a line `<label>: <path>` (whole, on one line)."""
    found = re.findall(rf"^{label}: (\S+)$", call.stdout, flags=re.MULTILINE)
    assert len(found) == 1, f"no single '{label}: <path>' line\n{call.explain()}"
    return Path(found[0])


def load_ids(call: Call) -> list[tuple[str, str]]:
    """The load ids (8 characters) and modes in the titles of the ledger tables printed."""
    return re.findall(r" - load ([0-9a-f]{8}) \((full|incremental)\)", call.stdout)


def ledger_rows(call: Call) -> dict[str, list[int]]:
    """dataset -> [extracted, published, quarantined, held] from the printed ledger table."""
    rows = {}
    for line in call.stdout.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells[0] in DATASETS and all(re.fullmatch(r"[\d,]+", c) for c in cells[1:5]):
            rows[cells[0]] = [int(c.replace(",", "")) for c in cells[1:5]]
    return rows


# --- `upflux demo` and what it leaves behind ------------------------------------------------


def test_demo_prints_the_summary_the_warehouse_and_the_quality_report(demo_world):
    world, call = demo_world.world, demo_world.demo
    assert load_ids(call) and load_ids(call)[0][1] == "full", call.explain()
    ledger = ledger_rows(call)
    assert set(ledger) == DATASETS, call.explain()
    for dataset, (extracted, published, quarantined, held) in ledger.items():
        assert extracted == published + quarantined + held > 0, dataset
    assert ledger["encounters"][2] > 0, "the demo ERP's injected defects must be quarantined"
    assert "discharge_after_admission" in call.stdout  # the table of checks that found problems
    for indicator in INDICATORS:
        assert indicator in call.stdout

    warehouse = printed_path(call, "warehouse")
    assert warehouse == world.data / "demo" / "warehouse.duckdb" and warehouse.is_file()
    report = printed_path(call, "quality report")
    assert report.parent == world.data / "demo" / "reports" and report.suffix == ".html"
    assert report.is_file() and report.stat().st_size > 1000


def test_status_json_has_the_ledger_checks_indicators_health_and_checklist(demo_world):
    """The last published load is a full one whether or not the run test came first (it ends
    with a full reload), so the demo's defects are in it."""
    world = demo_world.world
    call = world.upflux("status", "demo", "--json")
    assert_ok(call)
    state = json.loads(call.stdout)

    assert state["client"] == "demo" and state["load"]["status"] == "published"
    load = state["load"]
    # The load's seconds from its start to its publication (what bench/scale.py reports).
    took = datetime.fromisoformat(load["finished_at"]) - datetime.fromisoformat(load["started_at"])
    assert load["duration_s"] == round(took.total_seconds(), 3) > 0, load
    assert set(state["datasets"]) == DATASETS
    for dataset, row in state["datasets"].items():
        counts = [row[k] for k in ("extracted", "published", "quarantined", "held")]
        assert all(isinstance(n, int) and n >= 0 for n in counts), (dataset, row)
        assert counts[0] == sum(counts[1:]) > 0, (dataset, row)
        assert row["balanced"] is True
    assert state["datasets"]["encounters"]["quarantined"] > 0

    assert {c["dataset"] for c in state["checks"]} == DATASETS
    for check in state["checks"]:
        assert check["name"] and check["level"] in {"row", "dataset"}, check
        assert isinstance(check["passed"], bool), check  # the check's status: passed or failed
        assert isinstance(check["failing_count"], int) and check["failing_count"] >= 0, check
        assert check["passed"] == (check["failing_count"] == 0) or check["level"] == "dataset"
        assert check["status"] in {"passed", "failed", "not_applicable", "error"}, check
        assert check["passed"] == (check["status"] in {"passed", "not_applicable"}), check
        if check["level"] == "row":
            assert (check["status"] == "failed") == (check["failing_count"] > 0), check
        else:
            assert check["observed"] is not None and check["expected"], check
    by_name = {(c["dataset"], c["name"]): c for c in state["checks"]}
    discharge = by_name[("encounters", "discharge_after_admission")]
    assert discharge["passed"] is False and discharge["failing_count"] > 0
    assert discharge["status"] == "failed"

    assert {v["indicator"] for v in state["indicators"]} == INDICATORS
    for value in state["indicators"]:
        assert isinstance(value["value"], int | float) and value["unit"], value
        assert re.fullmatch(r"\d{4}-\d{2}-01", value["period"]) and value["measure"], value
        assert isinstance(value["dimensions"], dict)

    # Each configured indicator, per month: computed or not, and its coverage.
    completeness = {c["indicator"]: c for c in state["indicator_completeness"]}
    assert set(completeness) == INDICATORS
    for c in completeness.values():
        assert c["computed_periods"] >= 1 and 0 < c["coverage"] <= 1, c
    (pm_qualiss,) = state["indicator_sets"]
    assert pm_qualiss["set"] == "pm_qualiss" and pm_qualiss["total"] == len(pm_qualiss["items"])
    assert pm_qualiss["computed"] == sum(i["computable"] for i in pm_qualiss["items"]) > 0

    health = state["health"]
    assert 0 <= health["score"] <= 100 and health["band"] in {"green", "yellow", "red"}

    checklist = state["checklist"]
    items = {item["id"]: item for item in checklist["items"]}
    assert "kickoff" in items and checklist["total"] == len(items) > 0
    assert checklist["done"] == sum(i["status"] == "done" for i in items.values())
    for item in items.values():
        assert item["status"] in {"done", "pending", "in_progress"} and item["title"], item


def test_run_incremental_then_full(demo_world):
    world, demo_call = demo_world.world, demo_world.demo
    (first_load, _), *_ = load_ids(demo_call)

    incremental = world.upflux("run", "demo")
    assert_ok(incremental)
    full = world.upflux("run", "demo", "--full")
    assert_ok(full)

    [(inc_load, inc_mode)] = load_ids(incremental)
    [(full_load, full_mode)] = load_ids(full)
    assert (inc_mode, full_mode) == ("incremental", "full")
    assert len({first_load, inc_load, full_load}) == 3, "each run publishes a load of its own"
    inc_rows, full_rows = ledger_rows(incremental), ledger_rows(full)
    assert set(full_rows) == DATASETS and set(inc_rows) <= DATASETS
    for dataset, (extracted, published, quarantined, held) in (inc_rows | full_rows).items():
        assert extracted == published + quarantined + held, dataset
    # Nothing changed in the ERP: a full reload finds again every row the first load found,
    # and the incremental load only the rows in its window.
    assert ledger_rows(demo_call) == full_rows
    total = sum(rows[0] for rows in full_rows.values())
    assert sum(rows[0] for rows in inc_rows.values()) < total


def test_quarantine_stays_listed_after_an_incremental_load_and_downloads_as_csv(demo_world):
    """Issue 7, problem 1: after an incremental load that quarantines nothing new, status,
    `upflux quarantine` and its CSV still list every open record. Ends with a full reload,
    as the status test expects of the last load."""
    world = demo_world.world
    assert_ok(world.upflux("run", "demo"))
    state = json.loads(world.upflux("status", "demo", "--json").stdout)
    encounters = state["datasets"]["encounters"]
    assert encounters["quarantine_open"] > 0, encounters
    assert encounters["quarantine_open"] > encounters["quarantined"], encounters

    listed = world.upflux("quarantine", "demo")
    assert_ok(listed)
    assert "discharge_after_admission" in listed.stdout and "encounter_id=" in listed.stdout
    out = world.root / "quarentena.csv"
    written = world.upflux("quarantine", "demo", "--csv", str(out))
    assert_ok(written)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("conjunto_de_dados;campo_identificador;identificador_erp")
    total = sum(row.get("quarantine_open", 0) for row in state["datasets"].values())
    assert len(lines) - 1 == total
    assert_ok(world.upflux("run", "demo", "--full"))


def test_validate_a_good_file(demo_world):
    world, call = demo_world.world, demo_world.validate
    assert_ok(call)
    assert f"ok    {world.clients / 'demo.yaml'}" in call.stdout
    assert "1 client file(s) valid, 0 with errors" in call.stdout


def test_checklist_show_record_show(demo_world):
    world = demo_world.world

    def kickoff_row(call: Call) -> str:
        assert_ok(call)
        [row] = [line for line in call.stdout.splitlines() if "│ kickoff " in line]
        return row

    before = kickoff_row(world.upflux("checklist", "show", "demo"))
    assert "│ pending " in before and "ana" not in before

    recorded = world.upflux(
        "checklist", "record", "demo", "kickoff", "--by", "ana", "--date", "2026-11-01"
    )
    assert_ok(recorded)
    assert "recorded: demo kickoff = done by ana" in recorded.stdout

    after = world.upflux("checklist", "show", "demo")
    row = kickoff_row(after)
    assert "│ done " in row and "│ ana" in row, after.explain()
    assert "2026-11-01" in after.stdout, "the meeting's date as recorded"


# --- several client files, broken ones among them --------------------------------------------


class Fleet(NamedTuple):
    world: World
    demo_b: Pending


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Iterator[Fleet]:
    """Two valid demo clients (same ERP, other seeds), a file with a wrong field and a file whose
    source URL holds a password; `upflux demo hospital_b` starts at once and runs while the
    other tests make their calls (those only read the client files or fail before loading)."""
    world = new_world(tmp_path_factory.mktemp("fleet"), demo={}, hospital_b={"seed": 7})
    broken = yaml.safe_load((world.clients / "demo.yaml").read_text(encoding="utf-8"))
    broken["timezone"] = "America/Campinas"
    (world.clients / "hospital_c.yaml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    leaky = yaml.safe_load((world.clients / "demo.yaml").read_text(encoding="utf-8"))
    leaky["sources"]["erp"]["url"] = f"postgresql://etl:{PASSWORD}@erp.hospital.example:5432/erp"
    (world.clients / "hospital_d.yaml").write_text(yaml.safe_dump(leaky), encoding="utf-8")
    demo_b = Pending(world, world.start("demo", "hospital_b"))
    yield Fleet(world, demo_b)
    demo_b.stop()


def test_validate_names_the_file_and_field_of_each_broken_file(fleet):
    world = fleet.world
    call = world.upflux("validate")
    assert_ok(call, code=1)
    assert PASSWORD not in call.output
    for stem in ("demo", "hospital_b"):
        assert f"ok    {world.clients / stem}.yaml" in call.stdout
    lines = call.stdout.splitlines()
    [tz] = [line for line in lines if line.startswith(f"error {world.clients / 'hospital_c.yaml'}")]
    assert ": timezone: " in tz and "America/Campinas" in tz
    [url] = [
        line for line in lines if line.startswith(f"error {world.clients / 'hospital_d.yaml'}")
    ]
    assert ": sources.erp: " in url and "password" in url and "url_env" in url
    assert "2 client file(s) valid, 2 with errors" in call.stdout


def test_a_second_client_runs_beside_broken_files(fleet):
    world, call = fleet.world, fleet.demo_b.call()
    assert_ok(call)
    assert PASSWORD not in call.output
    assert "Hospital Demo São Lucas - load" in call.stdout
    assert printed_path(call, "warehouse") == world.data / "hospital_b" / "warehouse.duckdb"
    assert printed_path(call, "quality report").is_file()
    erp = json.loads((world.data / "hospital_b" / "demo_erp" / "parameters.json").read_text())
    assert erp["seed"] == 7
    assert set(ledger_rows(call)) == DATASETS
    assert not (world.data / "hospital_c").exists() and not (world.data / "hospital_d").exists()


def test_run_refuses_before_loading_with_one_line(fleet):
    """A missing key and a password in a client file: one line on stderr, no traceback."""
    world = fleet.world
    no_key = world.start("run", "hospital_b", key=False)
    leaky = world.start("run", "hospital_d")
    no_key, leaky = world.finish(no_key), world.finish(leaky)

    for call in (no_key, leaky):
        assert call.returncode == 2, call.explain()
        assert "Traceback" not in call.output and call.stdout == "", call.explain()
        assert len(call.stderr.strip().splitlines()) == 1, call.explain()
    assert KEY_ENV in no_key.stderr and "hospital_b.yaml" in no_key.stderr
    assert "hospital_d.yaml" in leaky.stderr and "sources.erp" in leaky.stderr
    assert PASSWORD not in leaky.output


# --- `upflux demo-erp`: the generator by hand -------------------------------------------------


def test_demo_erp_writes_the_databases_truth_and_manifest_like_python_m(tmp_path):
    """`upflux demo-erp` hands its options to the demo package's own command line, so it
    writes what `python -m hospitalis_demo` writes with the same options."""
    world = new_world(tmp_path / "world")
    small = ["--months", "1", "--beds", "20", "--scale", "0.05", "--end-date", "2026-10-31"]
    by_module = subprocess.Popen(
        [sys.executable, "-m", "hospitalis_demo", "--out", str(tmp_path / "by_module"), *small],
        env=world.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    call = world.upflux("demo-erp", "--out", str(tmp_path / "by_cli"), *small)
    _module_out, module_err = by_module.communicate(timeout=300)
    assert_ok(call)
    assert by_module.returncode == 0, module_err
    for name in ("erp.sqlite", "platform.sqlite", "ground_truth.json", "defects.json"):
        assert (tmp_path / "by_cli" / name).is_file(), call.explain()
    assert re.search(r"^patients\s+[\d,]+$", call.stdout, flags=re.MULTILINE), call.explain()
    for name in ("ground_truth.json", "defects.json"):
        cli, module = (
            json.loads((tmp_path / d / name).read_text()) for d in ("by_cli", "by_module")
        )
        assert cli == module, name


def test_demo_erp_refuses_without_out_and_shows_its_options(tmp_path):
    world = new_world(tmp_path)
    missing = world.upflux("demo-erp")
    assert missing.returncode == 2 and "--out" in missing.stderr, missing.explain()
    assert "Traceback" not in missing.output
    helped = world.upflux("demo-erp", "--help")
    assert_ok(helped)
    for option in ("--out", "--seed", "--scale", "--beds", "--months", "--end-date", "--schema"):
        assert option in helped.stdout, helped.explain()
