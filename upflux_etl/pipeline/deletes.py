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
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.extract.pii import protect_batch
from upflux_etl.extract.source import open_batches
from upflux_etl.extract.sql import keys_query
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.pipeline.exclusions import Exclusion
from upflux_etl.warehouse.deletes import apply_deletes, missing_keys
from upflux_etl.warehouse.files import scalar
from upflux_etl.warehouse.meta.tombstones import last_delete_scan, record_delete_scan
from upflux_etl.warehouse.staging import typed_column

log = logging.getLogger("upflux.pipeline")
SOURCE_KEYS = "_source_keys"


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
) -> DeleteScan:
    """Compare the dataset's keys with the source's; tombstone and remove what it lacks.

    A full load compares with its staged rows; an incremental one asks the source for its keys.
    A comparison that would remove more than `deletes.max_share` of the dataset's keys is not
    applied (an emptied or unreachable source table must not unpublish a hospital): the scan
    then carries an error, shown by the reconciliation check.
    """
    read = None
    if ctx.full:
        source = f'staging."{spec.name}"'
        count = int(scalar(con, f"select count(*) from {source}"))
    else:
        try:
            read = _land_source_keys(con, ctx, spec, exclusion)
        except DeleteScanRefused as exc:
            return DeleteScan(True, 0, str(exc))
        count, source = read[0] - read[1], SOURCE_KEYS
    missing = missing_keys(con, spec, source)
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
    record_delete_scan(con, spec.name, ctx.run_id, ctx.now, source_keys=count, tombstoned=found)
    if not ctx.full:
        con.execute(f"drop table if exists {SOURCE_KEYS}")
    if found:
        log.info("%s: %s row(s) deleted at the source became tombstones", spec.name, found)
    return DeleteScan(True, found, source_rows=read)


def _land_source_keys(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    exclusion: Exclusion | None,
) -> tuple[int, int]:
    """Land the source's keys in `SOURCE_KEYS`; (rows read, of them excluded patients' rows).

    The keys query reads every row of the dataset's whole query (null keys too), so its rows
    are the source's count; with an exclusion it also reads the column that ties a row to an
    excluded patient, and the rows the exclusion drops are counted apart.
    """
    # Imported here: datasets.py imports this module.
    from upflux_etl.pipeline.datasets import query_text

    text = query_text(ctx, spec)
    columns = list(spec.primary_key)
    if exclusion is not None and exclusion.column not in columns:
        columns.append(exclusion.column)
    sql = keys_query(text.sql, text.dialect, columns, text.write)
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
