"""Alignments kept on disk by (model version, variant), so a new run aligns only new variants."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from upflux_etl.mining.alignments import Alignment

AlignmentCache = dict[tuple[str, tuple[str, ...]], Alignment]


def read_cache(path: Path) -> AlignmentCache:
    """The cached alignments in `path` (empty when the file does not exist yet).

    Activity names and model versions are shared, not one text per occurrence: variants hold
    millions of activities (a long stay has thousands of events).
    """
    if not path.exists():
        return {}
    table = pq.read_table(path)
    if "cost" not in table.column_names:
        return {}  # written before the standard costs: keyed by an older algorithm version
    columns = {
        name: table.column(name).to_pylist()
        for name in ("deviations", "worst", "cost", "worst_cost", "log_moves", "model_moves")
    }
    return {
        (model, variant): Alignment(
            dev, worst, cost, worst_cost, tuple(json.loads(lm)), tuple(json.loads(mm))
        )
        for model, variant, dev, worst, cost, worst_cost, lm, mm in zip(
            _shared(table.column("model").combine_chunks()),
            _variants(table.column("variant").combine_chunks()),
            *columns.values(),
            strict=True,
        )
    }


def _shared(values: pa.Array) -> list[str]:
    """Texts as a list in which equal values are one object."""
    encoded = pc.dictionary_encode(values)
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    return names[encoded.indices.to_numpy(zero_copy_only=False)].tolist()


def _variants(lists: pa.ListArray) -> list[tuple[str, ...]]:
    """The variants as tuples of shared activity names."""
    flat = _shared(lists.flatten())
    bounds = (lists.offsets.to_numpy() - lists.offsets[0].as_py()).tolist()
    return [tuple(flat[a:b]) for a, b in itertools.pairwise(bounds)]


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
