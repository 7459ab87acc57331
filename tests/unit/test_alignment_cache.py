"""The alignment cache on disk: written and read in batches, read for this run's variants only."""

from __future__ import annotations

from upflux_etl.mining import cache as cache_module
from upflux_etl.mining.alignments import Alignment
from upflux_etl.mining.cache import read_cache, write_cache


def _cache(n: int) -> dict:
    return {
        ("model:v1", (*(f"act {k}" for k in range(i % 7 + 1)), f"v{i}")): Alignment(
            i % 3, 10, 10_000 * (i % 3), 100_000, (f"act {i % 5}",) * (i % 3), ()
        )
        for i in range(n)
    }


def test_the_cache_round_trips_across_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "_BATCH", 7)
    written = _cache(50)
    path = tmp_path / "alignments.parquet"
    write_cache(path, written)
    assert read_cache(path) == written
    write_cache(path, {})
    assert read_cache(path) == {}


def test_read_for_the_runs_variants_keeps_only_theirs_keyed_by_the_callers_tuples(
    tmp_path, monkeypatch
):
    """No second copy of the variants: the cache's keys are the caller's own tuple objects;
    the alignments of variants no longer in the log are left out (and out of the next write)."""
    monkeypatch.setattr(cache_module, "_BATCH", 4)
    written = _cache(20)
    path = tmp_path / "alignments.parquet"
    write_cache(path, written)
    variants = [tuple(list(v)) for _, v in list(written)[5:12]]  # equal, not the same objects
    variants.append(("never", "aligned"))
    found = read_cache(path, variants)
    assert len(found) == 7
    for (_, variant), alignment in found.items():
        assert any(variant is mine for mine in variants)
        assert alignment == written[("model:v1", variant)]
