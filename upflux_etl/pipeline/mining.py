"""The nightly process-mining step: the published warehouse's event log, mined.

Keeps the event log (case = encounter) in `data/<hospital>/mining/log.duckdb` between nights,
rewriting only the cases the last load changed (`mining/log_state.py`; built whole on the first
night, after a full load or when a night was missed), and writes
`data/<hospital>/mining/<load_id>.json`: counts, variants, the directly-follows graph (with each
activity's mean position in the cases, for the report's process map), case durations and, with
the client's reference model (`assets/reference_models/<name>.bpmn`), alignment fitness, the
share of fitting cases and the rate per month; `log` says what the night did to the kept log.
`upflux eventlog` writes the log as Parquet and XES on demand. Alignments are kept in
`data/<hospital>/mining/alignments.parquet` by (model version, variant): a night aligns only
the variants it has not seen. The log is mined out of core by DuckDB, within its
`memory_limit` (spilling to `mining/spill/`): only the distinct variants come to Python. A log
or model the step cannot read gives a summary with its `error` (scrubbed) rather than a failed
run: the report says why the map is missing.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from upflux_etl.alerts.message import scrub
from upflux_etl.catalog.eventlog import read_event_log_sql
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.mining.bpmn import read_bpmn
from upflux_etl.mining.cache import read_cache, write_cache
from upflux_etl.mining.log_state import Refresh, open_log_state, refresh_log, state_tables
from upflux_etl.mining.sql_summary import LogTables, summary_payload
from upflux_etl.settings import Settings
from upflux_etl.warehouse.files import WarehouseFiles

log = logging.getLogger("upflux.pipeline")

# Edges kept for the process map (the most frequent); the JSON's counts cover all of them.
MAP_EDGES = 60


def mining_dir(settings: Settings, client: ClientSpec) -> Path:
    """`data/<hospital>/mining/`."""
    return settings.client_dir(client.slug) / "mining"


def process_mining_step(
    settings: Settings, client: ClientSpec, catalog: Catalog, load_id: str
) -> dict:
    """Mine the published warehouse's event log; returns (and keeps) the summary."""
    out = mining_dir(settings, client)
    out.mkdir(parents=True, exist_ok=True)
    try:
        summary = _mine(settings, client, catalog)
    except Exception as exc:  # noqa: BLE001 - any failure becomes the summary's reason
        log.warning("%s: process mining failed: %s", client.slug, scrub(str(exc)))
        summary = {"error": scrub(f"{type(exc).__name__}: {exc}")}
    summary = {"load_id": load_id, "reference_model": client.reference_model, **summary}
    (out / f"{load_id}.json").write_text(
        json.dumps(summary, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return summary


def read_mining(settings: Settings, client: ClientSpec, load_id: str) -> dict | None:
    """The mining summary of a load, if the step ran for it."""
    path = mining_dir(settings, client) / f"{load_id}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _mine(settings: Settings, client: ClientSpec, catalog: Catalog) -> dict:
    model = None
    if client.reference_model:
        model = read_bpmn(
            settings.root / "assets" / "reference_models" / f"{client.reference_model}.bpmn"
        )
    tables, refresh = _log_tables(settings, client, catalog)
    # DuckDB's memory is given back before the cache and the aligner take theirs.
    cache_path = mining_dir(settings, client) / "alignments.parquet"
    cache = read_cache(cache_path, tables.variants.sequences)
    known = len(cache)
    payload = summary_payload(tables, model, cache, top=10, map_edges=MAP_EDGES)
    if model is not None and len(cache) != known:
        # Only a night that aligned new variants rewrites the file (most nightly loads bring
        # none: the rewrite was a second copy of the history's alignments each night).
        write_cache(cache_path, cache)
    payload["log"] = asdict(refresh)
    log.info(
        "%s: event log of %d cases, %d events, %d variants%s; log %s (%d cases read%s)",
        client.slug,
        payload["cases"],
        payload["events"],
        payload["variants"],
        f", fitness {payload['fitness']:.3f}" if "fitness" in payload else "",
        refresh.mode,
        refresh.cases,
        f": {refresh.reason}" if refresh.reason else "",
    )
    return payload


def _log_tables(
    settings: Settings, client: ClientSpec, catalog: Catalog
) -> tuple[LogTables, Refresh]:
    """Bring the kept event log (`mining/log.duckdb`) to the published warehouse and mine it.

    Both in DuckDB within its memory limit; only the cases the load changed are read again
    (`mining/log_state.py`). One night at a time per hospital (a file lock): DuckDB lets one
    process write the file.
    """
    files = WarehouseFiles(settings.client_dir(client.slug))
    if not files.published.exists():
        raise RuntimeError("no published warehouse")
    folder = mining_dir(settings, client)
    spill = folder / "spill"
    keys = {name: spec.primary_key for name, spec in catalog.canonical.datasets.items()}
    try:
        with (
            _night_lock(folder / "log.lock"),
            open_log_state(
                folder / "log.duckdb", client.timezone, settings.duckdb_memory_limit, spill
            ) as con,
        ):
            sql = read_event_log_sql(settings.root)
            refresh = refresh_log(con, sql, keys, files.published, files.previous)
            return state_tables(con), refresh
    finally:
        shutil.rmtree(spill, ignore_errors=True)


@contextmanager
def _night_lock(path: Path) -> Iterator[None]:
    """Wait for any other night of the hospital mining now, then hold its lock."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
