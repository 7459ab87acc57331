"""Helpers shared by the benchmarks: a measured subprocess leg and the database's own export.

Standard library only: bench/scale.py also runs under dlt's own interpreter (bench/.venv-dlt).
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

POLL_S = 0.2


@dataclass(frozen=True)
class Measured:
    """One leg: wall seconds, peak RSS (MB) of its whole process tree, and what it printed.

    `peak_at_s`: seconds into the leg when the peak was sampled (which step held it).
    `written_mb`: what its process tree wrote to the file system (the kernel's count of the
    waited-for children's block outputs, `getrusage`).
    """

    seconds: float
    peak_mb: float
    stdout: str
    peak_at_s: float = 0.0
    written_mb: float = 0.0


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc."""
    out: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    """Summed RSS (MB) of `pid` and all its descendants, now."""
    children, total, todo = _children(), 0, [pid]
    while todo:
        current = todo.pop()
        total += _rss_kb(current)
        todo.extend(children.get(current, []))
    return total / 1024


def run_measured(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdout_to: str | None = None,
) -> Measured:
    """Run `argv` to its end, polling its process tree's RSS every POLL_S seconds.

    Args:
        argv: the command.
        env: its environment (default: this process's).
        cwd: its working folder.
        stdout_to: a file for its standard output (e.g. os.devnull) instead of capturing it.

    Raises:
        RuntimeError: the command failed (the end of its stderr in the message).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sink = open(stdout_to, "wb") if stdout_to else out
        started = time.perf_counter()
        blocks = resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=sink, stderr=err)
        peak, peak_at = 0.0, 0.0
        while proc.poll() is None:
            rss = tree_rss_mb(proc.pid)
            if rss > peak:
                peak, peak_at = rss, time.perf_counter() - started
            try:
                proc.wait(POLL_S)
            except subprocess.TimeoutExpired:
                pass
        seconds = time.perf_counter() - started
        written = (resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock - blocks) * 512 / 1e6
        if stdout_to:
            sink.close()
        out.seek(0)
        err.seek(0)
        printed, complaint = out.read().decode(), err.read().decode()
    if proc.returncode:
        tail = "\n".join(complaint.strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(argv[:3])} ... failed ({proc.returncode}):\n{tail}")
    return Measured(seconds, peak, printed, peak_at, written)


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL (`postgresql+psycopg://...`) as psql takes it."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+')[0]}://{rest}"


def psql_copy(url: str, query: str, schema: str | None = None) -> list[str]:
    """psql exporting `query` in PostgreSQL's binary COPY format to its standard output."""
    argv = ["psql", libpq_url(url), "-qAt", "-v", "ON_ERROR_STOP=1"]
    if schema:
        argv += ["-c", f'set search_path to "{schema}"']
    return [*argv, "-c", f"copy ({' '.join(query.split())}) to stdout (format binary)"]
