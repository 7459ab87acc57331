"""Load one dataset: extract -> protect in memory -> land -> stage -> validate -> split."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from upflux_etl.catalog.client_checks import client_checks
from upflux_etl.catalog.clients import dataset_source, merged_mappings
from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.catalog.queries import client_query
from upflux_etl.extract.establishment import filter_establishment
from upflux_etl.extract.pii import protect_batch
from upflux_etl.extract.readable import flag_unreadable
from upflux_etl.extract.sql import QueryError, incremental, translate
from upflux_etl.extract.urls import dialect_of, resolve_url
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.pipeline.extraction import read_source
from upflux_etl.quality.outcome import SuiteOutcome
from upflux_etl.warehouse.build import build_connection
from upflux_etl.warehouse.files import first_row, has_table
from upflux_etl.warehouse.meta.checks import write_checks
from upflux_etl.warehouse.meta.ledger import write_ledger
from upflux_etl.warehouse.meta.source_sessions import SourceSession
from upflux_etl.warehouse.meta.watermarks import read_watermark, write_watermark
from upflux_etl.warehouse.split import Ledger, split_load
from upflux_etl.warehouse.staging import (
    check_columns,
    landing_columns,
    register_mappings,
    staged_sql,
    with_unreadable_reasons,
)

log = logging.getLogger("upflux.pipeline")
PROGRESS_EVERY = 500_000


@dataclass(frozen=True)
class DatasetLoad:
    """What one dataset's load did."""

    ledger: Ledger
    outcome: SuiteOutcome
    held: bool
    query_name: str
    seconds: float
    sessions: tuple[SourceSession, ...] = ()
    unindexed: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceQuery:
    """The query to run for a dataset, already in the source's dialect."""

    url: str
    sql: str
    name: str
    schema: str | None
    batch_rows: int


def source_query(ctx: LoadContext, spec: DatasetSpec, watermark: str | None) -> SourceQuery:
    """The profile's (or the client's own) query for `spec`, translated, incremental if asked."""
    source = ctx.client.sources[dataset_source(ctx.client, spec)]
    query = client_query(ctx.client, ctx.catalog, spec.name)
    url = resolve_url(source, ctx.settings.data_dir, ctx.client.file)
    try:
        write = dialect_of(url)
        read = query.dialect or write
        sql = query.sql
        if query.establishment_value is not None:
            sql = filter_establishment(sql, read, query.establishment, query.establishment_value)
        if watermark and not ctx.full:
            translated = incremental(sql, read, spec.incremental_column, watermark, write)
        else:
            translated = translate(sql, read, write)
    except QueryError as exc:
        raise QueryError(f"dataset {spec.name}: {query.name}: {exc}") from None
    return SourceQuery(url, translated, query.name, source.schema_, source.batch_rows)


def load_dataset(ctx: LoadContext, name: str) -> DatasetLoad:
    """Run one dataset's whole load into the run's build; returns its ledger and checks."""
    started = time.monotonic()
    spec = ctx.dataset(name)
    with build_connection(ctx) as con:
        watermark = None if ctx.full else read_watermark(con, name)
        query = source_query(ctx, spec, watermark)
        key = ctx.pseudonym_key()
        since = f", changed since {watermark}" if watermark else ""
        log.info("%s: extracting (%s%s)", name, query.name, since)
        read = read_source(con, ctx, spec, query, lambda b: _protected(b, spec, key))
        landed = landing_columns(con, name)
        check_columns(spec, landed, query.name)
        mappings = merged_mappings(ctx.client, ctx.catalog)
        register_mappings(con, mappings)
        staged = staged_sql(
            spec,
            landed,
            ctx.client.timezone,
            set(mappings),
            formats=_formats(ctx, name),
            local_times=ctx.client.local_times,
        )
        con.execute(f'create or replace table staging."{name}" as {staged}')
        outcome = _validate(con, ctx, spec)
        outcome = SuiteOutcome(outcome.dataset, (*outcome.checks, read.drift(name)))
        hold = bool(outcome.blocking_failures())
        ledger = split_load(
            con,
            spec,
            load_id=ctx.run_id,
            full=ctx.full,
            quarantine=with_unreadable_reasons(con, name, outcome.quarantined_row_ids()),
            hold=hold,
        )
        ledger = Ledger(**{**ledger.as_dict(), "duration_s": round(time.monotonic() - started, 3)})
        write_ledger(con, ctx.run_id, ledger)
        write_checks(con, ctx.run_id, outcome.dataset, outcome.results())
        if not hold:
            _advance_watermark(con, spec, ctx)
        con.execute("checkpoint")
        log.info(
            "%s: %s extracted, %s published, %s quarantined, %s held (%.1f s)",
            name,
            f"{ledger.extracted:,}",
            f"{ledger.published:,}",
            f"{ledger.quarantined:,}",
            f"{ledger.held:,}",
            time.monotonic() - started,
        )
    return DatasetLoad(
        ledger,
        outcome,
        hold,
        query.name,
        time.monotonic() - started,
        read.sessions,
        tuple(read.findings.unindexed),
    )


def _protected(
    batches: Iterator[pa.RecordBatch], spec: DatasetSpec, key: bytes
) -> Iterator[pa.RecordBatch]:
    rows, next_report = 0, PROGRESS_EVERY
    for batch in batches:
        yield protect_batch(flag_unreadable(batch), spec, key)
        rows += batch.num_rows
        if rows >= next_report:
            log.info("%s: %s rows extracted so far", spec.name, f"{rows:,}")
            next_report += PROGRESS_EVERY


def _formats(ctx: LoadContext, name: str) -> dict[str, str]:
    own = ctx.client.datasets.get(name)
    return dict(own.formats) if own else {}


def _validate(con: duckdb.DuckDBPyConnection, ctx: LoadContext, spec: DatasetSpec) -> SuiteOutcome:
    # Imported here: Great Expectations takes seconds to import, and `upflux connect-test`
    # (which reuses `source_query`) must answer within seconds.
    from upflux_etl.quality.gx_bridge import run_suite

    expectations = client_checks(ctx.client, ctx.catalog, spec.name)
    wanted = {e.value_set_from for e in expectations if e.value_set_from}
    value_sets = {ref: _value_set(con, ref) for ref in wanted}
    frame = con.sql(f'select * from staging."{spec.name}"').df().set_index("_row_id", drop=False)
    return run_suite(frame, expectations, dataset=spec.name, value_sets=value_sets, now=ctx.now)


def _value_set(con: duckdb.DuckDBPyConnection, ref: str) -> list:
    """Every key of `dataset.column` the warehouse has seen: published, quarantined or held."""
    dataset, column = ref.split(".", 1)
    parts = [
        f'select "{column}" as v from {schema}."{dataset}"'
        for schema in ("main", "quarantine", "held")
        if has_table(con, schema, dataset)
    ]
    if not parts:
        return []
    return [r[0] for r in con.execute(" union ".join(parts)).fetchall() if r[0] is not None]


def _advance_watermark(con: duckdb.DuckDBPyConnection, spec: DatasetSpec, ctx: LoadContext) -> None:
    # The latest change seen, in the ERP's own wall time; values after "now" (typos) are
    # ignored so a single garbage date cannot stop every later incremental load.
    col = spec.incremental_column
    fmt = "'%Y-%m-%d %H:%M:%S'" if spec.columns[col].type == "timestamp" else "'%Y-%m-%d'"
    row = first_row(
        con,
        f'select strftime(max("{col}")::timestamptz at time zone ?, {fmt}) from staging."{spec.name}" where "{col}" <= ?',
        [ctx.client.timezone, ctx.now],
    )
    if row and row[0]:
        write_watermark(con, spec.name, col, row[0])
