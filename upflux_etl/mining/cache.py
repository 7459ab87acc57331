"""Alignments kept on disk by (model version, variant), so a new run aligns only new variants."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from upflux_etl.mining.alignments import Alignment

AlignmentCache = dict[tuple[str, tuple[str, ...]], Alignment]


def read_cache(path: Path) -> AlignmentCache:
    """The cached alignments in `path` (empty when the file does not exist yet)."""
    if not path.exists():
        return {}
    table = pq.read_table(path).to_pydict()
    if "cost" not in table:
        return {}  # written before the standard costs: keyed by an older algorithm version
    return {
        (model, tuple(variant)): Alignment(
            dev, worst, cost, worst_cost, tuple(json.loads(lm)), tuple(json.loads(mm))
        )
        for model, variant, dev, worst, cost, worst_cost, lm, mm in zip(
            table["model"],
            table["variant"],
            table["deviations"],
            table["worst"],
            table["cost"],
            table["worst_cost"],
            table["log_moves"],
            table["model_moves"],
            strict=True,
        )
    }


def write_cache(path: Path, cache: AlignmentCache) -> None:
    """Write the cache atomically (a temporary file renamed over the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    items = list(cache.items())
    table = pa.table(
        {
            "model": [k[0] for k, _ in items],
            "variant": pa.array([list(k[1]) for k, _ in items], pa.list_(pa.string())),
            "deviations": pa.array([a.deviations for _, a in items], pa.int64()),
            "worst": pa.array([a.worst for _, a in items], pa.int64()),
            "cost": pa.array([a.cost for _, a in items], pa.int64()),
            "worst_cost": pa.array([a.worst_cost for _, a in items], pa.int64()),
            "log_moves": [json.dumps(a.log_moves) for _, a in items],
            "model_moves": [json.dumps(a.model_moves) for _, a in items],
        }
    )
    scratch = path.with_suffix(".tmp")
    pq.write_table(table, scratch)
    scratch.replace(path)
