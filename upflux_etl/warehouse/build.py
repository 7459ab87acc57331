"""Run-scoped builds and their atomic publication.

A run copies the published warehouse into `builds/<run_id>.duckdb`, every step of the run
writes there, and the publication step renames it over `warehouse.duckdb`. A failed or
killed run leaves the published file untouched; readers never see a half-written load.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
import uuid
from pathlib import Path

from upflux_etl.warehouse.files import WarehouseFiles, connect, first_row
from upflux_etl.warehouse.schema import current_version, ensure_schema


class PublicationConflict(RuntimeError):
    """Another run published this hospital's warehouse since this run started."""


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
        con.execute(
            "insert or replace into meta.loads values (?, ?, ?, ?, null, 'building', ?)",
            [run_id, client, mode, dt.datetime.now(dt.UTC), current_version(con)],
        )
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(partial, path)
    return path


def publish(files: WarehouseFiles, run_id: str, timezone: str) -> str:
    """Publish the run's build atomically; returns the new version id.

    Raises:
        PublicationConflict: the published warehouse changed since the build was copied.
        FileNotFoundError: the run has no build (none of its steps wrote anything).
    """
    path = files.build(run_id)
    if not path.exists():
        raise FileNotFoundError(f"run {run_id} has no warehouse build to publish")
    version = uuid.uuid4().hex
    con = connect(path, timezone)
    try:
        base = first_row(con, "select base_version from meta.loads where load_id = ?", [run_id])
        _check_base(files, base[0] if base else None, timezone)
        now = dt.datetime.now(dt.UTC)
        con.execute(
            "update meta.loads set status = 'published', finished_at = ? where load_id = ?",
            [now, run_id],
        )
        con.execute("insert into meta.publication values (?, ?, ?)", [version, now, run_id])
        for schema in ("landing", "staging"):
            _drop_tables(con, schema)
        con.execute("checkpoint")
    finally:
        con.close()
    if files.published.exists():
        _replace_link(files.published, files.previous)
    os.replace(path, files.published)
    _fsync_dir(files.root)
    discard_stale_builds(files)
    return version


STALE_AFTER_S = 24 * 3600


def discard_stale_builds(files: WarehouseFiles, older_than_s: float = STALE_AFTER_S) -> None:
    """Remove builds of runs that died without publishing (untouched for a day).

    Never a fresh one: a run still in flight must find its build, or it would start over
    from the new publication and publish half a load.
    """
    if not files.builds.exists():
        return
    limit = time.time() - older_than_s
    for path in files.builds.iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


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


def _drop_tables(con, schema: str) -> None:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [schema]
    ).fetchall()
    for (name,) in rows:
        con.execute(f'drop table "{schema}"."{name}"')


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
