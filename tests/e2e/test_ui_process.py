"""`upflux ui` as a user runs it: the URL printed only once the UI answers, and Ctrl-C stops
every process it started within 10 s."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import UPFLUX, new_world
from upflux_etl.ui_server import descendants

STARTUP_S = 300
STOP_S = 10


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def test_ctrl_c_stops_every_process_of_upflux_ui_within_10_s(tmp_path):
    world = new_world(tmp_path / "world", demo={})
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        # Its own group, like a shell's foreground job: Ctrl-C is a SIGINT to that group.
        proc = subprocess.Popen(
            [str(UPFLUX), "ui", "--port", str(port)],
            env=world.environ(),
            cwd=world.root,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + STARTUP_S
        while f"Dagster UI on {url}" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no URL after {STARTUP_S} s\n{log.read_text()}"
            time.sleep(0.2)
        assert _answers(url), "the URL was printed before the UI answered"
        started = descendants(proc.pid)
        assert len(started) >= 3, started  # dagster dev, its webserver, daemon, code server

        os.killpg(proc.pid, signal.SIGINT)
        stopped = time.monotonic()
        proc.wait(timeout=STOP_S + 5)
        while _alive(started) and time.monotonic() - stopped < STOP_S:
            time.sleep(0.2)
        assert time.monotonic() - stopped <= STOP_S
        assert not _alive(started), f"left running: {_alive(started)}\n{log.read_text()}"
        assert not _answers(url)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in _alive(started):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("port", ["3001"])
def test_make_ui_passes_its_port_to_upflux_ui(port):
    done = subprocess.run(
        ["make", "-n", "ui", f"PORT={port}"], capture_output=True, text=True, check=True
    )
    assert f"upflux ui --port {port}" in done.stdout
