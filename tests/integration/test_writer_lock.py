"""The hospital's writer lock between real processes: a holder blocks, a released or killed
holder does not, and the lock file names the run holding it (or the one that died with it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from upflux_etl.warehouse.files import WarehouseFiles
from upflux_etl.warehouse.lock import WriterBusy, holds, read_holder, writer_lock

TIMEOUT_S = 120

HOLDER = """
import sys
from pathlib import Path
from upflux_etl.warehouse.files import WarehouseFiles
from upflux_etl.warehouse.lock import writer_lock
files = WarehouseFiles(Path(sys.argv[1]))
with writer_lock(files, sys.argv[2], client="demo", wait_s=0, launched_by="test"):
    print("held", flush=True)
    sys.stdin.readline()  # until the test says so (or kills us)
"""


def start_holder(root: Path, run_id: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root), run_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_held_lock_stops_a_second_run_naming_the_holder(tmp_path):
    files = WarehouseFiles(tmp_path / "demo")
    holder = start_holder(files.root, "run-a-0001")
    try:
        with (
            pytest.raises(WriterBusy) as refused,
            writer_lock(files, "run-b", client="demo", wait_s=0),
        ):
            pass
        message = str(refused.value)
        assert "demo: another load of this hospital is running" in message
        assert "run run-a-00" in message and f"pid {holder.pid}" in message
        assert "stops before doing any work" in message
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_run_proceeds_when_the_holder_releases(tmp_path):
    files = WarehouseFiles(tmp_path / "demo")
    holder = start_holder(files.root, "run-a")
    assert holder.stdin is not None
    holder.stdin.write("done\n")
    holder.stdin.flush()
    with writer_lock(files, "run-b", client="demo", wait_s=TIMEOUT_S) as acquired:
        assert acquired.first and acquired.previous is None  # a clean release names no one
        assert holds(files, "run-b")
        assert read_holder(files).run_id == "run-b"
    assert holder.wait(TIMEOUT_S) == 0
    assert read_holder(files) is None
    assert not holds(files, "run-b")


def test_a_killed_holder_releases_the_lock_and_is_named_as_dead(tmp_path):
    files = WarehouseFiles(tmp_path / "demo")
    holder = start_holder(files.root, "run-dead")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    # no wait: the kernel released the dead process's lock (no lease to expire)
    with writer_lock(files, "run-next", client="demo", wait_s=0) as acquired:
        assert acquired.previous is not None and acquired.previous.run_id == "run-dead"
        assert acquired.previous.pid == holder.pid


def test_the_lock_is_reentrant_for_one_run_in_one_process(tmp_path):
    files = WarehouseFiles(tmp_path / "demo")
    with writer_lock(files, "run-a", client="demo", wait_s=0) as outer:
        with writer_lock(files, "run-a", client="demo", wait_s=0) as inner:
            assert outer.first and not inner.first
        assert holds(files, "run-a")  # the inner release left the outer holding
        with pytest.raises(WriterBusy):
            with writer_lock(files, "run-b", client="demo", wait_s=0):
                pass
    assert not holds(files, "run-a")
