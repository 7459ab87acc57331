"""The platform export: what each published load changed, as Parquet files with a manifest.

`data/<hospital>/export/<load_id>/` holds, per dataset, the rows the load upserted
(`<dataset>/upserts.parquet`: every column of the published dataset, `_load_id` included) and,
where the warehouse recorded deletions for the load, `<dataset>/tombstones.parquet`. Last comes
`manifest.json`: load id, mode (a full load replaces, an incremental one upserts), the
warehouse's schema version, and per file its rows, bytes and SHA-256. The folder appears by an
atomic rename once complete, so the platform never sees half an export; it verifies every file
against the manifest before it reads (`read_export`). Old exports are pruned after a client's
`export.keep_loads`. Only pseudonymised data is in the warehouse, so only that is exported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from upflux_etl.warehouse.files import has_table, sql_literal
from upflux_etl.warehouse.schema import schema_version

MANIFEST = "manifest.json"
EXPORT_FORMAT = 1
# The warehouse table of deletions found at the source (key, dataset and load), if any.
TOMBSTONES = ("meta", "tombstones")


class ExportInvalid(RuntimeError):
    """An export does not match its manifest (missing, altered or truncated file)."""


@dataclass(frozen=True)
class ExportedFile:
    """One Parquet file of an export, as the manifest lists it."""

    path: str
    rows: int
    bytes: int
    sha256: str


def write_export(
    con: duckdb.DuckDBPyConnection,
    export_root: Path,
    *,
    client: str,
    load_id: str,
    mode: str,
    datasets: list[str],
    keep_loads: int,
) -> Path:
    """Write the export of `load_id` from the published warehouse `con`; returns its folder.

    Args:
        con: the published warehouse (read-only is enough).
        export_root: `data/<hospital>/export`.
        client: the hospital's slug.
        load_id: the load just published.
        mode: "full" or "incremental".
        datasets: the datasets the load published.
        keep_loads: how many exports to keep (older ones are removed, oldest first).
    """
    export_root.mkdir(parents=True, exist_ok=True)
    final = export_root / load_id
    partial = export_root / f".{load_id}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    entries: dict[str, dict] = {}
    for dataset in datasets:
        if not has_table(con, "main", dataset):
            continue
        folder = partial / dataset
        folder.mkdir()
        upserts = _copy(
            con,
            f'select * from main."{dataset}" where _load_id = {sql_literal(load_id)}',
            folder / "upserts.parquet",
            partial,
        )
        tombstones = None
        if has_table(con, *TOMBSTONES):
            tombstones = _copy(
                con,
                'select * from meta."tombstones" '
                f"where dataset = {sql_literal(dataset)} and load_id = {sql_literal(load_id)}",
                folder / "tombstones.parquet",
                partial,
            )
        entries[dataset] = {
            "upserts": upserts.__dict__,
            "tombstones": tombstones.__dict__ if tombstones else None,
        }
    manifest = {
        "format": EXPORT_FORMAT,
        "client": client,
        "load_id": load_id,
        "mode": mode,
        "schema_version": schema_version(con),
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "datasets": entries,
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(partial, final)
    prune_exports(export_root, keep_loads)
    return final


def read_export(folder: Path) -> dict:
    """The manifest of an export, after checking every file it lists (rows, bytes, SHA-256).

    Raises:
        ExportInvalid: no manifest, or a file missing or different from the manifest.
    """
    path = folder / MANIFEST
    if not path.is_file():
        raise ExportInvalid(f"{folder}: no {MANIFEST} (an incomplete or foreign folder)")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for dataset, entry in manifest["datasets"].items():
        for kind in ("upserts", "tombstones"):
            listed = entry.get(kind)
            if listed is None:
                continue
            file = folder / listed["path"]
            if not file.is_file():
                raise ExportInvalid(f"{file}: listed in the manifest ({dataset} {kind}), missing")
            if file.stat().st_size != listed["bytes"] or _sha256(file) != listed["sha256"]:
                raise ExportInvalid(f"{file}: differs from the manifest ({dataset} {kind})")
            if pq.read_metadata(file).num_rows != listed["rows"]:
                raise ExportInvalid(f"{file}: row count differs from the manifest")
    return manifest


def prune_exports(export_root: Path, keep_loads: int) -> list[Path]:
    """Remove all but the newest `keep_loads` complete exports (and stale partial folders)."""
    complete = sorted(
        (p for p in export_root.iterdir() if p.is_dir() and (p / MANIFEST).is_file()),
        key=lambda p: (p / MANIFEST).stat().st_mtime,
    )
    removed = complete[: max(len(complete) - keep_loads, 0)]
    removed += [p for p in export_root.glob(".*.partial") if p.is_dir()]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def _copy(con: duckdb.DuckDBPyConnection, sql: str, target: Path, root: Path) -> ExportedFile:
    con.execute(f"copy ({sql}) to {sql_literal(str(target))} (format parquet)")
    return ExportedFile(
        path=str(target.relative_to(root)),
        rows=pq.read_metadata(target).num_rows,
        bytes=target.stat().st_size,
        sha256=_sha256(target),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
