"""Alignments kept on disk by (model version, variant), so a new run aligns only new variants."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from upflux_etl.mining.alignments import Alignment

AlignmentCache = dict[tuple[str, tuple[str, ...]], Alignment]


# Entries per Parquet batch read or written: the variants of long stays hold thousands of
# activities, so the whole cache as Arrow or Python lists at once would be gigabytes.
_BATCH = 1_000
_SCHEMA = pa.schema(
    [
        ("model", pa.string()),
        ("variant", pa.list_(pa.string())),
        ("deviations", pa.int64()),
        ("worst", pa.int64()),
        ("cost", pa.int64()),
        ("worst_cost", pa.int64()),
        ("log_moves", pa.string()),
        ("model_moves", pa.string()),
    ]
)


def read_cache(path: Path, wanted: Iterable[tuple[str, ...]] | None = None) -> AlignmentCache:
    """The cached alignments in `path` (empty when the file does not exist yet).

    With `wanted` (the variants of this run), only their alignments, keyed by the caller's own
    tuples: the cache then costs no second copy of the variants (at scale 40 of the demo, 90K
    variants of 62M activities in all: 1.5GB as tuples of their own), and the alignments of
    variants no longer in the log are dropped from the file at the next write. The file is
    read `_BATCH` entries at a time; activity names are shared within a batch, not one text
    per occurrence.
    """
    if not path.exists():
        return {}
    file = pq.ParquetFile(path)
    if "cost" not in file.schema_arrow.names:
        return {}  # written before the standard costs: keyed by an older algorithm version
    index = None if wanted is None else {v: v for v in wanted}
    cache: AlignmentCache = {}
    for batch in file.iter_batches(batch_size=_BATCH):
        table = pa.Table.from_batches([batch])
        columns = {name: table.column(name).to_pylist() for name in _SCHEMA.names[2:]}
        for model, variant, dev, worst, cost, worst_cost, lm, mm in zip(
            _shared(table.column("model").combine_chunks()),
            _variants(table.column("variant").combine_chunks()),
            *columns.values(),
            strict=True,
        ):
            if index is not None:
                variant = index.get(variant)
                if variant is None:
                    continue
            cache[(model, variant)] = Alignment(
                dev, worst, cost, worst_cost, tuple(json.loads(lm)), tuple(json.loads(mm))
            )
    return cache


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
    """Write the cache atomically (a temporary file renamed over the old one), in batches."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    items = iter(cache.items())
    with pq.ParquetWriter(scratch, _SCHEMA) as writer:
        while chunk := list(itertools.islice(items, _BATCH)):
            writer.write_table(_table(chunk))
    scratch.replace(path)


def _table(items: list[tuple[tuple[str, tuple[str, ...]], Alignment]]) -> pa.Table:
    return pa.table(
        {
            "model": [k[0] for k, _ in items],
            "variant": [list(k[1]) for k, _ in items],
            "deviations": [a.deviations for _, a in items],
            "worst": [a.worst for _, a in items],
            "cost": [a.cost for _, a in items],
            "worst_cost": [a.worst_cost for _, a in items],
            "log_moves": [json.dumps(a.log_moves) for _, a in items],
            "model_moves": [json.dumps(a.model_moves) for _, a in items],
        },
        schema=_SCHEMA,
    )
