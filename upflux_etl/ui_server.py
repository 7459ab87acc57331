"""`upflux ui`: Dagster's web UI as a child process group that Ctrl-C stops whole.

`dagster dev` starts a webserver, a daemon and code servers; some ignore SIGTERM while they
start. So `upflux ui` stays the parent: it starts `dagster dev` in a session of its own,
says where the UI is only once it answers, forwards SIGINT/SIGTERM to the whole group and
kills what is left after a grace period (docs/DECISIONS.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

GRACE_S = 5.0
POLL_S = 0.25


def answers(url: str) -> bool:
    """The Dagster webserver at `url` answers its `server_info` endpoint."""
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def descendants(pid: int) -> set[int]:
    """Every living process below `pid` (read from /proc; empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _signal_all(group: int, pids: set[int], signum: int) -> None:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        pass
    for pid in pids:  # any that left the group (a new session of their own)
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def stop_group(proc: subprocess.Popen, grace_s: float = GRACE_S) -> None:
    """SIGINT to the group (Dagster shuts down cleanly on it), then SIGKILL what is left."""
    tree = descendants(proc.pid) | {proc.pid}
    _signal_all(proc.pid, tree, signal.SIGINT)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(POLL_S)
    tree |= descendants(proc.pid)
    _signal_all(proc.pid, tree, signal.SIGKILL)
    proc.wait()


def serve(
    argv: Sequence[str],
    url: str,
    announce: Callable[[str], None],
    env: dict[str, str] | None = None,
) -> int:
    """Run `argv` (the `dagster dev` command) until it exits or this process is told to stop.

    Args:
        argv: the command to run in a session of its own.
        url: where it serves; `announce(url)` is called once it answers.
        announce: tells the user the UI is up.
        env: its environment (default: this process's).

    Returns:
        Its exit code, or 0 when stopped by SIGINT/SIGTERM.
    """
    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    proc = subprocess.Popen(list(argv), env=env, start_new_session=True)
    try:
        announced = False
        while proc.poll() is None and not stopping:
            if not announced and answers(url):
                announce(url)
                announced = True
            time.sleep(POLL_S)
    finally:
        stop_group(proc)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0 if stopping else (proc.returncode or 0)
