"""One writer per hospital: an OS lock on `data/<hospital>/writer.lock`.

A run holds its hospital's lock from its start to its end (publication included), whoever
launched it: `upflux run`, the UI, the schedule, a re-execution. The lock is `flock(2)` on an
open file: the kernel releases it when the holding process dies (kill -9, OOM, a lost pod),
so a dead run never blocks the next one. While held, the file names the holding run (run id,
pid, host, start, who launched it) for the message a second run shows; a clean release
empties it, so a non-empty file found on acquisition names a run that died holding the lock.

Re-entrant within one process for one run (the CLI takes the lock before Dagster starts the
run, and the run's own resource takes it again); a second run, in this process or another,
waits up to `wait_s` and then stops with `WriterBusy` before doing any work.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from upflux_etl.warehouse.files import WarehouseFiles

log = logging.getLogger("upflux.pipeline")

DEFAULT_WAIT_S = 60.0
_POLL_S = 0.2


class WriterBusy(RuntimeError):
    """Another run holds the hospital's writer lock (raised before the run does any work)."""


@dataclass(frozen=True)
class Holder:
    """The run holding (or last holding) a hospital's writer lock."""

    run_id: str
    client: str
    pid: int
    host: str
    since: str
    launched_by: str = ""

    def describe(self) -> str:
        """`run 1a2b3c4d (cli, pid 123 on host, since 05:40:12 UTC)`."""
        who = f"{self.launched_by}, " if self.launched_by else ""
        return f"run {self.run_id[:8]} ({who}pid {self.pid} on {self.host}, since {self.since})"


@dataclass
class _Held:
    fd: int
    run_id: str
    count: int
    previous: Holder | None


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


@dataclass(frozen=True)
class Acquired:
    """What an acquisition found: whether it was new, and the dead run that held the lock."""

    first: bool
    previous: Holder | None


def read_holder(files: WarehouseFiles) -> Holder | None:
    """The run named in the lock file (the holder, or a run that died holding it)."""
    try:
        text = files.lock.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not text:
        return None
    try:
        return Holder(**json.loads(text))
    except (ValueError, TypeError):
        return None


@contextmanager
def writer_lock(
    files: WarehouseFiles,
    run_id: str,
    *,
    client: str,
    wait_s: float = DEFAULT_WAIT_S,
    launched_by: str = "",
) -> Iterator[Acquired]:
    """Hold the hospital's writer lock for run `run_id` (re-entrant for the same run).

    Raises:
        WriterBusy: another run held it for `wait_s` seconds.
    """
    acquired = acquire(files, run_id, client=client, wait_s=wait_s, launched_by=launched_by)
    try:
        yield acquired
    finally:
        release(files, run_id)


def acquire(
    files: WarehouseFiles, run_id: str, *, client: str, wait_s: float, launched_by: str = ""
) -> Acquired:
    """Take the lock (see `writer_lock`); every call is matched by one `release`."""
    path = _key(files)
    with _guard:
        held = _held.get(path)
        if held is not None and held.run_id == run_id:
            held.count += 1
            return Acquired(first=False, previous=held.previous)
    files.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(files.lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _wait_for(fd, files, client, wait_s)
    except BaseException:
        os.close(fd)
        raise
    previous = read_holder(files)
    me = Holder(
        run_id=run_id,
        client=client,
        pid=os.getpid(),
        host=socket.gethostname(),
        since=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        launched_by=launched_by,
    )
    _write(fd, json.dumps(asdict(me)))
    with _guard:
        _held[path] = _Held(fd, run_id, 1, previous)
    return Acquired(first=True, previous=previous)


def release(files: WarehouseFiles, run_id: str) -> None:
    """Give back one acquisition; the last one empties the file and unlocks it."""
    path = _key(files)
    with _guard:
        held = _held.get(path)
        if held is None or held.run_id != run_id:
            return
        held.count -= 1
        if held.count > 0:
            return
        del _held[path]
    try:
        _write(held.fd, "")
    finally:
        os.close(held.fd)  # closing the descriptor releases the flock


def holds(files: WarehouseFiles, run_id: str) -> bool:
    """Whether this process holds the hospital's lock for `run_id`."""
    held = _held.get(_key(files))
    return held is not None and held.run_id == run_id


def _key(files: WarehouseFiles) -> Path:
    return files.root.resolve() / files.lock.name


def _wait_for(fd: int, files: WarehouseFiles, client: str, wait_s: float) -> None:
    deadline = time.monotonic() + max(wait_s, 0.0)
    said = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = read_holder(files)
        running = holder.describe() if holder else "another run"
        if time.monotonic() >= deadline:
            raise WriterBusy(
                f"{client}: another load of this hospital is running ({running}); this run "
                f"stops before doing any work (waited {wait_s:.0f} s, UPFLUX_WRITER_WAIT_S). "
                "Run it again when that load ends, or stop that run in the Dagster UI."
            )
        if not said:
            log.warning(
                "%s: waiting up to %.0f s for %s to finish (one load per hospital at a time)",
                client,
                wait_s,
                running,
            )
            said = True
        time.sleep(_POLL_S)


def _write(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    if text:
        os.pwrite(fd, text.encode("utf-8"), 0)
    os.fsync(fd)
