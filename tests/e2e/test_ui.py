"""The Dagster UI (`upflux ui`) in a real browser, on a data folder `upflux demo` has filled.

Debian's chromium only: nothing here downloads a browser (never `playwright install`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from playwright.sync_api import expect

from tests.e2e.conftest import UPFLUX, World, assert_ok, new_world
from upflux_etl.instance import DAGSTER_YAML

STARTUP_S = 300
RUN_S = 600
UI_TIMEOUT_MS = 60_000
# `page.set_default_timeout` does not reach `expect(...)` assertions, which wait 5 s unless
# told otherwise: on a shared machine the UI's first render can take longer than that.
expect.set_options(timeout=UI_TIMEOUT_MS)
GRAPH = ["encounters", "exams", "beds", "er_visits", "occupancy_rate", "average_length_of_stay",
         "door_to_triage", "exam_turnaround", "warehouse", "process_mining", "quality_report",
         "health_score", "checklist"]  # fmt: skip


class Server:
    """`upflux ui` running in its own process group, on a port of its own."""

    def __init__(self, world: World, port: int):
        self.world, self.port = world, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = world.root / "ui.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [str(UPFLUX), "ui", "--port", str(port)],
                env=world.environ(),
                cwd=world.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: teardown ends dagster dev's children too
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"upflux ui exited with {self.proc.returncode}\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(1)
        pytest.fail(f"upflux ui not answering after {STARTUP_S} s\n{self.log.read_text()}")

    def graphql(self, query: str) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())["data"]

    def stop(self) -> None:
        """End the whole group: TERM, then KILL (dagster dev may ignore TERM, as Dagster's own
        tests note), and make sure nothing of it is left."""
        group = self.proc.pid
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _group_alive(group):
                self.proc.poll()  # reap the leader so it does not linger as a zombie
                time.sleep(0.2)
            if not _group_alive(group):
                break
        self.proc.wait(timeout=10)
        assert not _group_alive(group), f"processes of upflux ui left in group {group}"


def _group_alive(group: int) -> bool:
    """Whether any process of the group is still there (zombies do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A busy loop pinned to the machine's last core: CI machines are shared, and these tests must
# pass with that core fully busy (they wait on states, never on short fixed timeouts).
BUSY_LOOP = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


@pytest.fixture(scope="module", autouse=True)
def cpu_load() -> Iterator[None]:
    """One core fully busy for the whole module (the load the tests must withstand)."""
    core = max(os.sched_getaffinity(0))
    load = subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(core)])
    try:
        yield
    finally:
        load.kill()
        load.wait()


@pytest.fixture(scope="module")
def ui(tmp_path_factory) -> Iterator[Server]:
    """The demo client (with a run in its history) and a broken second client, in the UI."""
    world = new_world(tmp_path_factory.mktemp("ui_world"), demo={})
    broken = yaml.safe_load((world.clients / "demo.yaml").read_text(encoding="utf-8"))
    broken["timezone"] = "America/Campinas"
    (world.clients / "hospital_x.yaml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    # Create the instance's storage first: `upflux demo` and `upflux ui` start side by side and
    # would otherwise race to create the same SQLite files.
    world.dagster_home.mkdir()
    (world.dagster_home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    with dg.DagsterInstance.from_config(str(world.dagster_home)) as instance:
        instance.get_runs(limit=1)

    demo = world.start("demo")
    server = Server(world, _free_port())
    try:
        assert_ok(world.finish(demo))
        server.wait_ready()
        server.graphql("mutation { setNuxSeen }")  # no "Join the Dagster community" dialog
        yield server
    finally:
        if demo.poll() is None:
            demo.kill()
        server.stop()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1920, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    yield page
    page.screenshot(path=tmp_path / "last.png")
    context.close()


def node(page, name: str):
    """An asset's node in the lineage graph (its label may be cut; the tooltip holds it whole)."""
    return page.locator(f'[data-tooltip="{name}"]').first


@pytest.mark.browser
def test_the_demo_group_graph_shows_datasets_indicators_warehouse_and_report(
    browser, ui, page, tmp_path
):
    # Thirteen indicators make the graph taller than a screen, and the UI draws only the
    # nodes in view: a tall window shows them all.
    page.set_viewport_size({"width": 1920, "height": 3600})
    page.goto(f"{ui.url}/locations/upflux_etl/asset-groups/demo")
    for name in GRAPH:
        expect(node(page, name)).to_be_visible()
    expect(page.get_by_text("Materialized").first).to_be_visible()  # the demo's run is there
    page.screenshot(path=tmp_path / "demo_group.png")


@pytest.mark.browser
def test_a_dataset_shows_its_checks(browser, ui, page, tmp_path):
    page.goto(f"{ui.url}/assets/demo/datasets/encounters?view=checks")
    check = page.get_by_text("discharge_after_admission", exact=True).first
    expect(check).to_be_visible()
    for other in ("encounter_id_unique", "cid10_format", "discharge_type_mapped"):
        expect(page.get_by_text(other, exact=True).first).to_be_visible()
    check.click()
    # The check's description, in Portuguese for hospital IT (expectations/encounters.yaml).
    expect(page.get_by_text("Alta registrada antes da admissão").first).to_be_visible()
    page.screenshot(path=tmp_path / "encounters_checks.png")


@pytest.mark.browser
def test_a_broken_client_file_is_a_config_error_asset_and_demo_still_loads(
    browser, ui, page, tmp_path
):
    page.goto(f"{ui.url}/assets/hospital_x/config_error")
    expect(
        page.get_by_text(re.compile(r"hospital_x\.yaml: timezone: unknown")).first
    ).to_be_visible()
    page.screenshot(path=tmp_path / "config_error.png")
    page.goto(f"{ui.url}/locations/upflux_etl/asset-groups/demo")
    expect(node(page, "encounters")).to_be_visible()


def test_the_ui_listens_on_localhost_only(ui):
    listening = _listening_addresses(ui.port)
    assert listening == {"127.0.0.1"}, listening
    for address in _other_addresses():
        with pytest.raises(OSError), socket.create_connection((address, ui.port), timeout=3):
            pass


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    words = [bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, 32, 8)]
                    found.add(socket.inet_ntop(socket.AF_INET6, b"".join(words)))
    return found


def _other_addresses() -> list[str]:
    """This machine's non-loopback addresses (none if `ip` is missing)."""
    if not shutil.which("ip"):
        return []
    out = subprocess.run(["ip", "-o", "addr", "show", "scope", "global"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return [line.split()[3].split("/")[0] for line in out.splitlines()]


@pytest.mark.browser
def test_materialize_all_from_the_ui_publishes_a_load(browser, ui, page, tmp_path):
    page.goto(f"{ui.url}/locations/upflux_etl/asset-groups/demo")
    expect(node(page, "warehouse")).to_be_visible()
    page.get_by_role("button", name="Materialize all").click()
    toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
    dialog = page.get_by_role("dialog")
    expect(toast.or_(dialog).first).to_be_visible()
    if dialog.count():  # a launchpad or confirmation, if this Dagster asks for one
        dialog.get_by_role("button", name=re.compile("Materialize|Launch")).last.click()
    expect(toast).to_be_visible()
    prefix = re.search(r"[0-9a-f]{8}", toast.inner_text()).group(0)
    page.screenshot(path=tmp_path / "launched.png")

    run = _wait_for_run(ui.world.dagster_home, prefix)
    assert run.status == dg.DagsterRunStatus.SUCCESS, f"run {run.run_id}: {run.status}"
    # named for what it is, with the hospital's tag (not Dagster's untagged __ASSET_JOB)
    assert (run.job_name, run.tags.get("upflux/client")) == ("Load__demo", "demo")
    warehouse = ui.world.data / "demo" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loads = con.execute(
            "select status from meta.loads where load_id = ?", [run.run_id]
        ).fetchall()
    assert loads == [("published",)], "the run from the UI published a load of its own"

    page.goto(f"{ui.url}/runs/{run.run_id}")
    expect(page.get_by_text("Success").first).to_be_visible()
    page.screenshot(path=tmp_path / "run.png")


def _wait_for_run(home: Path, prefix: str) -> dg.DagsterRun:
    deadline = time.monotonic() + RUN_S
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while time.monotonic() < deadline:
            runs = [r for r in instance.get_runs(limit=20) if r.run_id.startswith(prefix)]
            if runs and runs[0].is_finished:
                return runs[0]
            time.sleep(1)
    pytest.fail(f"run {prefix} launched from the UI did not finish in {RUN_S} s")
