"""The nightly process-mining step: the published warehouse's event log, mined.

Writes `data/<hospital>/eventlog/event_log.parquet` (case = encounter; `upflux eventlog` adds
the XES file on demand: writing millions of events as XML takes minutes) and
`data/<hospital>/mining/<load_id>.json`: counts, variants, the directly-follows graph (with each
activity's mean position in the cases, for the report's process map), case durations and, with
the client's reference model (`assets/reference_models/<name>.bpmn`), alignment fitness, the
share of fitting cases and the rate per month. Alignments are kept in
`data/<hospital>/mining/alignments.parquet` by (model version, variant): a night aligns only
the variants it has not seen. A log or model the step cannot read gives a summary with its
`error` (scrubbed) rather than a failed run: the report says why the map is missing.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from upflux_etl.alerts.message import scrub
from upflux_etl.catalog.eventlog import read_event_log_sql
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.mining.bpmn import read_bpmn
from upflux_etl.mining.cache import read_cache, write_cache
from upflux_etl.mining.eventlog import EventLog, build_event_log
from upflux_etl.mining.summary import summarise
from upflux_etl.mining.warehouse_log import event_log_frame
from upflux_etl.settings import Settings
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
    sql = read_event_log_sql(settings.root)
    files = WarehouseFiles(settings.client_dir(client.slug))
    with open_published(files, client.timezone) as con:
        if con is None:
            raise RuntimeError("no published warehouse")
        table = pa.Table.from_pandas(event_log_frame(con, sql), preserve_index=False)
    # Parquet every night; XES (slow to write for millions of events) on demand, by
    # `upflux eventlog`.
    out = settings.client_dir(client.slug) / "eventlog"
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out / "event_log.parquet")
    event_log = _event_log(table)
    model = None
    if client.reference_model:
        model = read_bpmn(
            settings.root / "assets" / "reference_models" / f"{client.reference_model}.bpmn"
        )
    cache_path = mining_dir(settings, client) / "alignments.parquet"
    cache = read_cache(cache_path)
    result = summarise(event_log, model, cache)
    if model is not None:
        write_cache(cache_path, cache)
    payload = result.to_json(top=10)
    payload["map"] = {
        "activities": _activities(event_log),
        "edges": [
            {"source": e.source, "target": e.target, "count": e.count}
            for e in result.graph.edges[:MAP_EDGES]
        ],
    }
    if result.conformance is not None:
        payload["aligned_now"] = result.conformance.aligned_now
    log.info(
        "%s: event log of %d cases, %d events, %d variants%s",
        client.slug,
        event_log.n_cases,
        event_log.n_events,
        payload["variants"],
        f", fitness {payload['fitness']:.3f}" if "fitness" in payload else "",
    )
    return payload


def _event_log(table: pa.Table) -> EventLog:
    stamps = table.column("time:timestamp").cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())
    resource = table.column("org:resource").to_numpy(zero_copy_only=False)
    return build_event_log(
        table.column("case:concept:name"),
        table.column("concept:name"),
        stamps.to_numpy(),
        resource,
    )


def _activities(event_log: EventLog) -> list[dict]:
    """Each activity's count and mean position (0 = first event of its case)."""
    position = np.arange(event_log.n_events) - event_log.offsets[event_log.case]
    n = len(event_log.activities)
    counts = np.bincount(event_log.activity, minlength=n)
    sums = np.bincount(event_log.activity, weights=position, minlength=n)
    return [
        {"name": name, "count": int(c), "mean_position": float(s / c) if c else 0.0}
        for name, c, s in zip(event_log.activities, counts, sums, strict=True)
    ]
