"""The nightly process-mining step: the published warehouse's event log, mined.

Writes `data/<hospital>/eventlog/event_log.parquet` (case = encounter; `upflux eventlog` adds
the XES file on demand: writing millions of events as XML takes minutes) and
`data/<hospital>/mining/<load_id>.json`: counts, variants, the directly-follows graph (with each
activity's mean position in the cases, for the report's process map), case durations and, with
the client's reference model (`assets/reference_models/<name>.bpmn`), alignment fitness, the
share of fitting cases and the rate per month. Alignments are kept in
`data/<hospital>/mining/alignments.parquet` by (model version, variant): a night aligns only
the variants it has not seen. Both files are made out of core by DuckDB, within its
`memory_limit` (spilling to `mining/spill/`): only the distinct variants come to Python. A log
or model the step cannot read gives a summary with its `error` (scrubbed) rather than a failed
run: the report says why the map is missing.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import duckdb

from upflux_etl.alerts.message import scrub
from upflux_etl.catalog.eventlog import read_event_log_sql
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.mining.bpmn import read_bpmn
from upflux_etl.mining.cache import read_cache, write_cache
from upflux_etl.mining.sql_summary import LogTables, log_tables, summary_payload
from upflux_etl.mining.warehouse_log import copy_event_log
from upflux_etl.settings import Settings
from upflux_etl.warehouse.build import limit_memory
from upflux_etl.warehouse.files import WarehouseFiles, open_published

log = logging.getLogger("upflux.pipeline")

# Edges kept for the process map (the most frequent); the JSON's counts cover all of them.
MAP_EDGES = 60


def mining_dir(settings: Settings, client: ClientSpec) -> Path:
    """`data/<hospital>/mining/`."""
    return settings.client_dir(client.slug) / "mining"


def process_mining_step(settings: Settings, client: ClientSpec, load_id: str) -> dict:
    """Mine the published warehouse's event log; returns (and keeps) the summary."""
    out = mining_dir(settings, client)
    out.mkdir(parents=True, exist_ok=True)
    try:
        summary = _mine(settings, client)
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


def _mine(settings: Settings, client: ClientSpec) -> dict:
    model = None
    if client.reference_model:
        model = read_bpmn(
            settings.root / "assets" / "reference_models" / f"{client.reference_model}.bpmn"
        )
    tables = _log_tables(settings, client)
    # DuckDB's memory is given back before the cache and the aligner take theirs.
    cache_path = mining_dir(settings, client) / "alignments.parquet"
    cache = read_cache(cache_path, tables.variants.sequences)
    payload = summary_payload(tables, model, cache, top=10, map_edges=MAP_EDGES)
    if model is not None:
        write_cache(cache_path, cache)
    log.info(
        "%s: event log of %d cases, %d events, %d variants%s",
        client.slug,
        payload["cases"],
        payload["events"],
        payload["variants"],
        f", fitness {payload['fitness']:.3f}" if "fitness" in payload else "",
    )
    return payload


def _log_tables(settings: Settings, client: ClientSpec) -> LogTables:
    """Write `eventlog/event_log.parquet` and mine it, both in DuckDB within its memory limit.

    Parquet every night, streamed by DuckDB's COPY; XES (slow to write for millions of
    events) on demand, by `upflux eventlog`.
    """
    files = WarehouseFiles(settings.client_dir(client.slug))
    parquet = settings.client_dir(client.slug) / "eventlog" / "event_log.parquet"
    parquet.parent.mkdir(parents=True, exist_ok=True)
    spill = mining_dir(settings, client) / "spill"
    try:
        with open_published(files, client.timezone) as con:
            if con is None:
                raise RuntimeError("no published warehouse")
            limit_memory(con, settings.duckdb_memory_limit, spill)
            copy_event_log(con, read_event_log_sql(settings.root), parquet)
        con = duckdb.connect()
        try:
            limit_memory(con, settings.duckdb_memory_limit, spill)
            return log_tables(con, parquet)
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)
