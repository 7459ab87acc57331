"""Rows deleted at the source: a keys-only comparison, on the client file's schedule.

An incremental load reads only rows changed since its watermark, so a row deleted in the ERP
would stay published. When the client's `deletes.every` says it is due, the dataset's query is
run without its window for its primary key only; the keys land in a temporary table of the
build and DuckDB finds what the warehouse holds and the source lacks (`warehouse/deletes.py`).
A full load compares with the rows it just staged (no second query).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.extract.pii import protect_batch
from upflux_etl.extract.source import open_batches
from upflux_etl.extract.sql import bucket_counts_query, bucket_keys_query, keys_query, values_query
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.pipeline.exclusions import Exclusion
from upflux_etl.quality.sql_compile import quote
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.deletes import (
    SCHEMAS,
    MissingKeys,
    apply_deletes,
    held_key_rows,
    keep_present,
    missing_keys,
)
from upflux_etl.warehouse.files import has_table, scalar
from upflux_etl.warehouse.holdings import newer_key_rows
from upflux_etl.warehouse.meta.tombstones import last_delete_scan, record_delete_scan
from upflux_etl.warehouse.staging import typed_column

if TYPE_CHECKING:
    from upflux_etl.pipeline.datasets import QueryText

log = logging.getLogger("upflux.pipeline")
SOURCE_KEYS = "_source_keys"
DIFFERING = "_differing_buckets"
# A bucket is the key's last 3 characters: up to 1,000 buckets of digits, a few thousand keys
# each at 5M rows; at most 200 differing buckets are read by bucket.
BUCKET_WIDTH = 3
MAX_DIFFERING = 200
CONFIRM_CHUNK = 1_000  # keys per `in (...)` list (Oracle's limit)


class DeleteScanRefused(RuntimeError):
    """The comparison would tombstone more of the dataset than the client file allows."""


@dataclass(frozen=True)
class DeleteScan:
    """What one load's comparison found for one dataset (scanned False: not due)."""

    scanned: bool
    tombstoned: int = 0
    error: str | None = None
    # (rows, of them rows of excluded patients) of the whole query, when the scan read them at
    # the source: the reconciliation's count, so an incremental load reads the source once.
    source_rows: tuple[int, int] | None = None


def deletes_due(con: duckdb.DuckDBPyConnection, ctx: LoadContext, dataset: str) -> bool:
    """Whether the client's `deletes` schedule asks for a comparison on this load."""
    deletes = ctx.client.deletes
    if not deletes.enabled:
        return False
    if ctx.full or deletes.interval_hours == 0:
        return True
    last = last_delete_scan(con, dataset)
    return last is None or ctx.now - last >= dt.timedelta(hours=deletes.interval_hours)


def scan_deletes(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    exclusion: Exclusion | None,
    early: EarlyCounts | None = None,
) -> DeleteScan:
    """Compare the dataset's keys with the source's; tombstone and remove what it lacks.

    A full load compares with its staged rows; an incremental one asks the source for its keys.
    A comparison that would remove more than `deletes.max_share` of the dataset's keys is not
    applied (an emptied or unreachable source table must not unpublish a hospital): the scan
    then carries an error, shown by the reconciliation check. `early`: the source's counts
    per bucket, asked while the build staged the rows (`bucket_counts_ahead`).
    """
    read, compared = None, "keys"
    if ctx.full:
        source = f'staging."{spec.name}"'
        count = int(scalar(con, f"select count(*) from {source}"))
        missing = missing_keys(con, spec, source)
    else:
        try:
            read, compared, missing = _compare_with_source(con, ctx, spec, exclusion, early)
        except DeleteScanRefused as exc:
            return DeleteScan(True, 0, str(exc))
        count = read[0] - read[1]
    share, limit = missing.share, ctx.client.deletes.max_share
    if share > limit:
        message = (
            f"dataset {spec.name}: the source lacks {share:.0%} of the warehouse's keys "
            f"(more than deletes.max_share {limit:.0%} of {ctx.client.file}); not applied"
        )
        log.warning("%s", message)
        con.execute(f"drop table if exists {missing.table}")
        return DeleteScan(True, 0, message, read)
    found = apply_deletes(con, spec, missing, load_id=ctx.run_id, at=ctx.now)
    record_delete_scan(
        con,
        spec.name,
        ctx.run_id,
        ctx.now,
        source_keys=count,
        tombstoned=found,
        compared=compared,
    )
    if not ctx.full:
        con.execute(f"drop table if exists {SOURCE_KEYS}")
        con.execute(f"drop table if exists {DIFFERING}")
    if found:
        log.info("%s: %s row(s) deleted at the source became tombstones", spec.name, found)
    return DeleteScan(True, found, source_rows=read)


def _compare_with_source(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    exclusion: Exclusion | None,
    early: EarlyCounts | None,
) -> tuple[tuple[int, int], str, MissingKeys]:
    """An incremental load's comparison: by bucket when it may, else every key.

    `early` holds the source's counts when `bucket_counts_ahead` found the bucket comparison
    allowed (None: every key). Returns (rows read, of them excluded patients' rows), how the
    keys were compared ("keys" or "buckets") and the keys the source lacks.
    """
    # Imported here: datasets.py imports this module.
    from upflux_etl.pipeline.datasets import query_text

    text = early.text if early is not None else query_text(ctx, spec)
    read = _bucketed(con, ctx, spec, text, early.counts) if early is not None else None
    if read is None:
        read = _land_source_keys(con, ctx, spec, text, exclusion)
        return read, "keys", missing_keys(con, spec, SOURCE_KEYS)
    (key,) = spec.primary_key
    held = _held_bucket("w." + quote(key))
    within = f"{held} in (select bucket from {DIFFERING})"
    missing = missing_keys(con, spec, SOURCE_KEYS, within)
    if missing.keys:
        missing = _confirmed(con, spec, text, missing)
    return read, "buckets", missing


def _held_bucket(column: str) -> str:
    """DuckDB's bucket of a held key `column` (SQL).

    What `bucket_counts_query` has the source compute.
    """
    return f"right(cast({column} as varchar), {BUCKET_WIDTH})"


def _bucketed(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    text: QueryText,
    asked: Future[pa.Table],
) -> tuple[int, int] | None:
    """Compare row counts per bucket of the key; land the keys of the differing buckets.

    A bucket is the key's last `BUCKET_WIDTH` characters, computed by the source (one row per
    bucket crosses the network) and by DuckDB over the records the build holds (each once, as
    the reconciliation counts them). The build's counts are taken while the source still
    counts (`asked`: the source's (bucket, n), being read in a thread): the two scans overlap.
    The buckets whose counts differ go to `DIFFERING`; the source's keys in them to
    `SOURCE_KEYS`. Returns (rows of the whole query, 0), or None when more than
    `MAX_DIFFERING` buckets differ: every key is then compared (the whole keys query is
    cheaper than many bucket reads).
    """
    (key,) = spec.primary_key
    _count_held_buckets(con, spec)
    try:
        counts = asked.result()
        con.register("_source_buckets", counts)
        con.execute(
            f"""create or replace temp table {DIFFERING} as
            select coalesce(s.bucket, h.bucket) as bucket
            from _source_buckets as s full join _held_buckets as h on s.bucket = h.bucket
            where s.n is distinct from h.n and coalesce(s.bucket, h.bucket) is not null"""
        )
    finally:
        con.unregister("_source_buckets")
        con.execute("drop table _held_buckets")
    rows = int(pc.sum(counts.column("n")).as_py() or 0)
    differing = tuple(
        r[0] for r in con.execute(f"select bucket from {DIFFERING} order by bucket").fetchall()
    )
    if len(differing) > MAX_DIFFERING:
        log.info(
            "%s: %s buckets of the key differ from the source's: every key compared",
            spec.name,
            f"{len(differing):,}",
        )
        return None
    if differing:
        sql = bucket_keys_query(text.sql, text.dialect, key, BUCKET_WIDTH, differing, text.write)
        _land_keys(con, ctx, spec, text, sql, [key], None, some=True)
    else:
        con.execute(f'create or replace temp table {SOURCE_KEYS} ("{key}" varchar)')
    log.info(
        "%s: keys compared by bucket: %s of %s bucket(s) differ from the source's",
        spec.name,
        len(differing),
        f"{counts.num_rows:,}",
    )
    return rows, 0


def _count_held_buckets(con: duckdb.DuckDBPyConnection, spec: DatasetSpec) -> None:
    """The build's records per bucket of the key, each once (`held_key_rows`): `_held_buckets`.

    The published rows per bucket are the parts' counters (`parts.live_counts_by`: a part is
    counted once and kept; one with removed rows reads those rows only), less the published
    rows a quarantined or held version supersedes (a semi join on those few keys), plus the
    quarantined and held rows: not a count over every key of the history each night. A
    dataset not kept as parts is counted over every key.
    """
    (key,) = spec.primary_key
    ds = spec.name
    present = [s for s in SCHEMAS if has_table(con, s, ds)]
    counted = None
    if "main" in present:
        counted = parts.live_counts_by(con, ds, parts.GroupBy(_held_bucket(f"t.{quote(key)}")))
    if counted is None:
        held = held_key_rows(spec, present) or f'select null::varchar as "{key}" where false'
        con.execute(
            f"create or replace temp table _held_buckets as select "
            f"{_held_bucket(quote(key))} as bucket, count(*) as n from ({held}) group by all"
        )
        return
    newer = newer_key_rows(spec, present)
    shares = ["select bucket, n from _published_buckets"]
    if newer:
        shares.append(
            f"select {_held_bucket(quote(key))} as bucket, count(*) as n from ({newer}) group by all"
        )
        shares.append(
            f"select {_held_bucket('m.' + quote(key))} as bucket, -count(*) as n "
            f'from main."{ds}" as m semi join ({newer}) as n on n.{quote(key)} = m.{quote(key)} '
            "group by all"
        )
    published = pa.table(
        {"bucket": pa.array(list(counted), pa.string()), "n": pa.array(list(counted.values()))},
        schema=pa.schema([("bucket", pa.string()), ("n", pa.int64())]),
    )
    con.register("_published_buckets", published)
    try:
        con.execute(
            "create or replace temp table _held_buckets as select bucket, "
            f"cast(sum(n) as bigint) as n from ({' union all '.join(shares)}) "
            "group by all having sum(n) > 0"
        )
    finally:
        con.unregister("_published_buckets")


@dataclass(frozen=True)
class EarlyCounts:
    """The source's counts per bucket being read in a thread, and the query they read."""

    text: QueryText
    counts: Future[pa.Table]


@contextmanager
def bucket_counts_ahead(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    exclusion: Exclusion | None,
) -> Iterator[EarlyCounts | None]:
    """The source's counts per bucket, asked now in a thread while the build stages the rows.

    The count reads the whole query at the source (about 1 s per 5.7M exam orders), and the
    build's staging, validation and split need the source for nothing: the two overlap on
    the source's core and ours. Only on an incremental load whose scan is due and may compare
    by bucket (None otherwise, and `scan_deletes` decides as before); the extraction is over,
    so the source still serves one query of the load at a time. A load that then holds the
    dataset does not scan: its count was asked for nothing, and is waited for on the way out.
    """
    if (
        ctx.full
        or not deletes_due(con, ctx, spec.name)
        or not _bucketable(con, ctx, spec, exclusion)
    ):
        yield None
        return
    # Imported here: datasets.py imports this module.
    from upflux_etl.pipeline.datasets import query_text

    text = query_text(ctx, spec)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"buckets-{spec.name}") as pool:
        yield EarlyCounts(text, pool.submit(_source_bucket_counts, spec, text))


def _source_bucket_counts(spec: DatasetSpec, text: QueryText) -> pa.Table:
    """(bucket, n): the source's rows of the whole query per bucket of the key."""
    (key,) = spec.primary_key
    sql = bucket_counts_query(text.sql, text.dialect, key, BUCKET_WIDTH, text.write)
    with open_batches(text.url, sql, schema=text.schema, batch_rows=text.batch_rows) as batches:
        found = [b for b in batches if b.num_rows]
    # Drivers differ in what a count and a text come back as (a decimal, a text, bytes).
    return pa.table(
        {
            "bucket": pa.array(
                [_as_text(v) for b in found for v in b.column(0).to_pylist()], pa.string()
            ),
            "n": pa.array([int(v) for b in found for v in b.column(1).to_pylist()], pa.int64()),
        }
    )


def _as_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _bucketable(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    exclusion: Exclusion | None,
) -> bool:
    """Whether this load may compare `spec`'s keys by bucket (see `_bucketed`).

    Not with a key of several columns, pseudonymised or not text, an exclusion list (its rows
    are told apart in Python), a period of a history, or no comparison of every key within
    `deletes.every_key`.
    """
    if exclusion is not None or ctx.history is not None or len(spec.primary_key) != 1:
        return False
    column = spec.columns[spec.primary_key[0]]
    every = ctx.client.deletes.every_key_hours
    if column.type != "string" or column.pii or every == 0:
        return False
    last = last_delete_scan(con, spec.name, "keys")
    return last is not None and ctx.now - last < dt.timedelta(hours=every)


def _confirmed(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, text: QueryText, missing: MissingKeys
) -> MissingKeys:
    """`missing` without the keys the source still has, asked by key.

    A key's bucket is the source's text function on one side and DuckDB's on the other: a key
    the two place differently (a padded CHAR, another collation) is read in no bucket. Only
    keys asked for by value become tombstones.
    """
    (key,) = spec.primary_key
    candidates = [
        r[0] for r in con.execute(f'select "{key}" from {missing.table} order by 1').fetchall()
    ]
    con.execute(f'create or replace temp table _still_there ("{key}" varchar)')
    for start in range(0, len(candidates), CONFIRM_CHUNK):
        chunk = tuple(str(c) for c in candidates[start : start + CONFIRM_CHUNK])
        sql = values_query(text.sql, text.dialect, key, key, chunk, text.write)
        with open_batches(text.url, sql, schema=text.schema, batch_rows=text.batch_rows) as found:
            for batch in found:
                con.execute(
                    "insert into _still_there select unnest(?)",
                    [[_as_text(v) for v in batch.column(0).to_pylist() if v is not None]],
                )
    kept = keep_present(con, spec, missing, "_still_there")
    con.execute("drop table _still_there")
    return kept


def _land_source_keys(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    text: QueryText,
    exclusion: Exclusion | None,
) -> tuple[int, int]:
    """Land the source's keys in `SOURCE_KEYS`; (rows read, of them excluded patients' rows).

    The keys query reads every row of the dataset's whole query (null keys too), so its rows
    are the source's count; with an exclusion it also reads the column that ties a row to an
    excluded patient, and the rows the exclusion drops are counted apart.
    """
    columns = list(spec.primary_key)
    if exclusion is not None and exclusion.column not in columns:
        columns.append(exclusion.column)
    sql = keys_query(text.sql, text.dialect, columns, text.write)
    return _land_keys(con, ctx, spec, text, sql, columns, exclusion)


def _land_keys(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    text: QueryText,
    sql: str,
    columns: list[str],
    exclusion: Exclusion | None,
    some: bool = False,
) -> tuple[int, int]:
    """Run `sql`, the key `columns` of rows of the dataset's query; land its keys typed.

    Into `SOURCE_KEYS`; returns (rows read, of them excluded patients' rows). `some`: the
    query asks for some keys only (by bucket), so no row at all is an answer, not a failure.
    """
    key = ctx.pseudonym_key()
    read = [0, 0]  # rows read, rows kept
    with open_batches(text.url, sql, schema=text.schema, batch_rows=text.batch_rows) as batches:
        # The keys query returns the primary key (and the exclusion's column) only: its
        # columns are checked and protected against that part of the canonical dataset.
        keys_spec = spec.model_copy(update={"columns": {c: spec.columns[c] for c in columns}})
        stream: Iterator[pa.RecordBatch] = (
            protect_batch(b, keys_spec, key, text.name) for b in _counted(batches, read, 0)
        )
        if exclusion is not None:
            stream = exclusion.filter(stream)
        stream = _counted(stream, read, 1)
        first = next(stream, None)
        if first is None and some:
            con.execute(f'create or replace temp table {SOURCE_KEYS} ("{columns[0]}" varchar)')
            return 0, 0
        if first is None:
            raise DeleteScanRefused(f"dataset {spec.name}: the keys query returned no result set")
        reader = pa.RecordBatchReader.from_batches(first.schema, _chain(first, stream))
        con.register("_keys_stream", reader)
        try:
            con.execute("create or replace temp table _keys_raw as select * from _keys_stream")
        finally:
            con.unregister("_keys_stream")
    landed = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = '_keys_raw'"
        ).fetchall()
    )
    zone = ctx.client.timezone
    typed = ", ".join(
        typed_column(f'r."{k}"', spec.columns[k].type, landed.get(k, "VARCHAR"), zone)
        + f' as "{k}"'
        for k in spec.primary_key
    )
    con.execute(f"create or replace temp table {SOURCE_KEYS} as select {typed} from _keys_raw as r")
    con.execute("drop table _keys_raw")
    return read[0], read[0] - read[1]


def _counted(
    batches: Iterator[pa.RecordBatch], counts: list[int], at: int
) -> Iterator[pa.RecordBatch]:
    """The batches, their rows added to `counts[at]` as they pass."""
    for batch in batches:
        counts[at] += batch.num_rows
        yield batch


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    for batch in rest:
        yield batch.cast(first.schema) if not batch.schema.equals(first.schema) else batch
