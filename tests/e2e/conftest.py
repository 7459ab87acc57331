"""The e2e tier's world: the real `upflux` executable in subprocesses, each run in a folder of
its own (clients, data, Dagster instance), with a pseudonymisation key in the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.support.demo import client_keys, write_demo_client

UPFLUX = Path(sys.executable).with_name("upflux")
# Every client names its own key variable (tests/support/demo.py: UPFLUX_PSEUDONYM_KEY_<STEM>).
KEY_ENV = "UPFLUX_PSEUDONYM_KEY"
# Every `upflux` call imports Great Expectations (~8-10 s); a whole demo run takes ~30-60 s.
TIMEOUT_S = 300
# Variables that would point a call at another checkout's clients, data or instance.
FOREIGN = (
    "UPFLUX_CLIENTS_DIR",
    "UPFLUX_DATA_DIR",
    "UPFLUX_STATE_URL",
    "UPFLUX_ROOT",
    "DAGSTER_HOME",
    "COLUMNS",
    "LINES",
    "FORCE_COLOR",
)


@dataclass(frozen=True)
class Call:
    """What one `upflux` call did."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def explain(self) -> str:
        return f"upflux {' '.join(self.args)} -> {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


@dataclass(frozen=True)
class World:
    """One isolated `upflux` installation: its clients folder, data folder and Dagster home."""

    root: Path

    @property
    def clients(self) -> Path:
        return self.root / "clients"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    def environ(self, *, key: bool = True) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if k not in FOREIGN and not k.startswith(KEY_ENV)
        }
        env.update(
            UPFLUX_CLIENTS_DIR=str(self.clients),
            UPFLUX_DATA_DIR=str(self.data),
            DAGSTER_HOME=str(self.dagster_home),
            NO_COLOR="1",
        )
        if key:
            env.update(client_keys(self.clients))
        return env

    def start(
        self, *args: str, key: bool = True, env_extra: dict[str, str] | None = None, **popen
    ) -> subprocess.Popen:
        """Start `upflux <args>` without waiting (for calls that may run side by side);
        `env_extra` adds to (or overrides) the world's environment."""
        return subprocess.Popen(
            [str(UPFLUX), *args],
            env={**self.environ(key=key), **(env_extra or {})},
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **popen,
        )

    def finish(self, proc: subprocess.Popen, timeout: float = TIMEOUT_S) -> Call:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            pytest.fail(
                f"upflux {' '.join(proc.args[1:])} took over {timeout} s\n{stdout}\n{stderr}"
            )
        return Call(tuple(proc.args[1:]), proc.returncode, stdout, stderr)

    def upflux(self, *args: str, key: bool = True) -> Call:
        """Run `upflux <args>` to the end."""
        return self.finish(self.start(*args, key=key))


class Pending:
    """An `upflux` call started in the background; `call()` waits for it (once)."""

    def __init__(self, world: World, proc: subprocess.Popen):
        self.world, self.proc, self._call = world, proc, None

    def call(self) -> Call:
        if self._call is None:
            self._call = self.world.finish(self.proc)
        return self._call

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def new_world(root: Path, **clients: dict) -> World:
    """A world whose clients folder holds small demo clients: stem -> demo parameters."""
    world = World(root)
    world.clients.mkdir(parents=True)
    for stem, demo in clients.items():
        write_demo_client(world.clients, stem, **demo)
    return world


def assert_ok(call: Call, code: int = 0) -> None:
    assert call.returncode == code, call.explain()
    assert "Traceback" not in call.output, call.explain()


class DemoWorld(NamedTuple):
    world: World
    demo: Call
    validate: Call


@pytest.fixture(scope="module")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> DemoWorld:
    """A small demo client after `upflux demo` (ERP generated, pipeline run, health backfilled),
    and what `upflux validate` said of its file (run side by side: it only reads the file)."""
    world = new_world(tmp_path_factory.mktemp("demo_world"), demo={})
    validate = world.start("validate")
    demo = world.upflux("demo")
    assert_ok(demo)
    return DemoWorld(world, demo, world.finish(validate))


CHROMIUM = Path("/usr/bin/chromium")
# No network here: without these flags Chromium floods the machine with refused connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Chromium, or a skip (a failure under CI). Browser tests ask for it before `ui`, so that
    without a browser they skip before the UI is started."""
    if not CHROMIUM.exists():
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
