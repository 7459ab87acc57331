"""Run-scoped builds and their atomic publication.

A run copies the published warehouse into `builds/<run_id>.duckdb`, every step of the run
writes there, and the publication step renames it over `warehouse.duckdb`. A failed or
killed run leaves the published file untouched; readers never see a half-written load.
The run holds the hospital's writer lock (`warehouse/lock.py`) throughout, and the
publication's version check and rename happen under it. The run's scratch tables (landing,
staging) are in `builds/<run_id>.work.duckdb` (`warehouse/work.py`), never in the build.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import duckdb

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.files import WarehouseFiles, connect, sql_literal
from upflux_etl.warehouse.lock import writer_lock
from upflux_etl.warehouse.meta.loads import (
    base_version,
    current_version,
    record_load_start,
    record_publication,
)
from upflux_etl.warehouse.schema import ensure_schema
from upflux_etl.warehouse.work import attach_work, remove_work, work_path


class PublicationConflict(RuntimeError):
    """Another run published this hospital's warehouse since this run started."""


class RunningLoad(Protocol):
    """What a build needs to know of its load (`pipeline.context.LoadContext` is one)."""

    @property
    def files(self) -> WarehouseFiles:
        """The hospital's warehouse files."""

    @property
    def run_id(self) -> str:
        """The run, which names the build file."""

    @property
    def client(self) -> ClientSpec:
        """The hospital."""

    @property
    def mode(self) -> str:
        """The load mode: "full" or "incremental"."""

    @property
    def memory_limit(self) -> str:
        """DuckDB's `memory_limit` for the build's connections, e.g. "2GB"."""


@contextmanager
def build_connection(load: RunningLoad) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the load's build, closed on exit.

    The build is created on the load's first step; the connection uses the hospital's time
    zone, the load's `memory_limit`, and spills beyond it to `builds/<run_id>.tmp/` (only
    pseudonymised data reaches a build).
    """
    client = load.client
    path = open_build(
        load.files, load.run_id, client=client.slug, timezone=client.timezone, mode=load.mode
    )
    con = connect(path, client.timezone)
    try:
        limit_memory(con, load.memory_limit, path.with_suffix(".tmp"))
        attach_work(con, work_path(path))
        yield con
    finally:
        con.close()


_MEMORY_LIMIT = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


_BYTES = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
_BYTES |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def memory_bytes(size: str) -> float:
    """Bytes of a size as `memory_limit` takes it or DuckDB reports it ("2GB", "953.6 MiB").

    Raises:
        ValueError: not such a size.
    """
    found = _MEMORY_LIMIT.match(size.strip())
    if not found:
        raise ValueError(f"{size!r} is not a size such as 2GB or 512MiB")
    return float(size.strip()[: found.start(2)]) * _BYTES[found.group(2).upper()]


def limit_memory(con: duckdb.DuckDBPyConnection, memory_limit: str, temp_directory: Path) -> None:
    """Bound a connection's memory to `memory_limit`, spilling to `temp_directory`.

    Raises:
        ValueError: `memory_limit` is not a size such as "2GB" or "512MiB".
    """
    if not _MEMORY_LIMIT.match(memory_limit.strip()):
        raise ValueError(
            f"UPFLUX_DUCKDB_MEMORY_LIMIT: {memory_limit!r} is not a size such as 2GB or 512MiB"
        )
    con.execute(f"set memory_limit = '{memory_limit.strip()}'")
    con.execute("set temp_directory = ?", [str(temp_directory)])


def open_build(
    files: WarehouseFiles, run_id: str, *, client: str, timezone: str, mode: str
) -> Path:
    """The run's build file, created from the published warehouse on the run's first step."""
    path = files.build(run_id)
    if path.exists():
        return path
    files.builds.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    if files.published.exists():
        shutil.copyfile(files.published, partial)
    con = connect(partial, timezone)
    try:
        ensure_schema(con)
        parts.ensure_parts(con, files.root)
        record_load_start(con, run_id, client=client, mode=mode, at=dt.datetime.now(dt.UTC))
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(partial, path)
    return path


def publish(files: WarehouseFiles, run_id: str, timezone: str) -> str:
    """Publish the run's build atomically, under the hospital's writer lock; the new version.

    The run normally holds the lock already (from its start); taken here otherwise, so the
    version check and the rename are never apart.

    Raises:
        PublicationConflict: the published warehouse changed since the build was copied.
        FileNotFoundError: the run has no build (none of its steps wrote anything).
        WriterBusy: another run holds the lock.
    """
    with writer_lock(files, run_id, client=files.root.name):
        return _publish_locked(files, run_id, timezone)


def _publish_locked(files: WarehouseFiles, run_id: str, timezone: str) -> str:
    path = files.build(run_id)
    if not path.exists():
        raise FileNotFoundError(f"run {run_id} has no warehouse build to publish")
    version = uuid.uuid4().hex
    con = connect(path, timezone)
    try:
        _check_base(files, base_version(con, run_id), timezone)
        record_publication(con, run_id, version, dt.datetime.now(dt.UTC))
        con.execute("checkpoint")
        bloated = _mostly_free(con)
    finally:
        con.close()
    if bloated:
        _rewrite_file(path, timezone)
    _fsync_parts(files.root, run_id)
    if files.published.exists():
        _replace_link(files.published, files.previous)
    os.replace(path, files.published)
    _fsync_dir(files.root)
    named = _named_parts(files.published, timezone) | _named_parts(files.previous, timezone)
    parts.prune(files.root, named)
    shutil.rmtree(path.with_suffix(".tmp"), ignore_errors=True)  # the run's spill folder
    remove_work(path)
    return version


def discard_build(files: WarehouseFiles, run_id: str) -> bool:
    """Remove run `run_id`'s build and its side files (WAL, partial copy); whether any was."""
    if not files.builds.exists():
        return False
    found = False
    for path in files.builds.glob(f"{run_id}.*"):
        if path.is_dir():  # the run's spill folder (`limit_memory`)
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        found = True
    return found


def leftover_builds(files: WarehouseFiles, keep: str | None = None) -> list[str]:
    """Run ids of the builds in the folder other than `keep`'s (under the writer lock: dead)."""
    if not files.builds.exists():
        return []
    runs = {p.name.split(".", 1)[0] for p in files.builds.iterdir()}
    return sorted(runs - {keep} if keep else runs)


def _check_base(files: WarehouseFiles, base: str | None, timezone: str) -> None:
    if not files.published.exists():
        current = None
    else:
        pub = connect(files.published, timezone, read_only=True)
        try:
            current = current_version(pub)
        finally:
            pub.close()
    if current != base:
        raise PublicationConflict(
            f"{files.published} was published by another run while this one ran "
            f"(expected version {base}, found {current}); run again to load on top of it"
        )


# A build whose file is more than this share free blocks (tables moved into parts, a quarantine
# that emptied) is rewritten before publication: the next build copies the published file.
_FREE_SHARE = 0.5
_FREE_BYTES = 32 * 2**20


def _mostly_free(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "select block_size, total_blocks, free_blocks from pragma_database_size() "
        "where database_name = current_database()"
    ).fetchall()
    if not row:
        return False
    block, total, free = row[0]
    return total > 0 and free * block > _FREE_BYTES and free / total > _FREE_SHARE


def _rewrite_file(path: Path, timezone: str) -> None:
    """Copy a build into a fresh file (its free blocks left behind) and put it in its place."""
    fresh = path.with_suffix(".compact")
    fresh.unlink(missing_ok=True)
    con = connect(path, timezone)
    try:
        con.execute(f"attach {sql_literal(fresh)} as upflux_compact")
        own = con.execute("select current_database()").fetchall()[0][0]
        con.execute(f'copy from database "{own}" to upflux_compact')
        con.execute("detach upflux_compact")
    finally:
        con.close()
    os.replace(fresh, path)


def _named_parts(path: Path, timezone: str) -> set[str]:
    if not path.exists():
        return set()
    con = connect(path, timezone, read_only=True)
    try:
        return parts.part_files(con)
    finally:
        con.close()


def _fsync_parts(root: Path, run_id: str) -> None:
    """The parts the run wrote are on disk before the catalog naming them is published."""
    folder = root / parts.TABLES
    if not folder.exists():
        return
    for path in folder.glob(f"*/{run_id}-*.parquet"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for dataset in folder.iterdir():
        _fsync_dir(dataset)


def _replace_link(src: Path, dst: Path) -> None:
    tmp = dst.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    os.link(src, tmp)
    os.replace(tmp, dst)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
