"""Load one dataset: extract -> protect in memory -> land -> stage -> validate -> split."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from upflux_etl.catalog.client_checks import client_checks
from upflux_etl.catalog.clients import dataset_source, merged_mappings
from upflux_etl.catalog.models import DatasetSpec, ExpectationSpec
from upflux_etl.catalog.queries import client_query
from upflux_etl.extract.establishment import filter_establishment
from upflux_etl.extract.pii import protect_batch
from upflux_etl.extract.readable import flag_unreadable
from upflux_etl.extract.sql import QueryError, incremental, translate, window_query
from upflux_etl.extract.urls import dialect_of, resolve_url
from upflux_etl.pipeline import history
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.pipeline.corrections import apply_corrections
from upflux_etl.pipeline.deletes import (
    DeleteScan,
    bucket_counts_ahead,
    deletes_due,
    scan_deletes,
)
from upflux_etl.pipeline.exclusions import exclusion_for
from upflux_etl.pipeline.extraction import read_source
from upflux_etl.pipeline.keys import ensure_key_continuity
from upflux_etl.pipeline.reconcile import reconcile
from upflux_etl.quality.outcome import SuiteOutcome
from upflux_etl.quality.reconciliation import reconciliation_outcome, with_check
from upflux_etl.quality.sql_suite import SqlSuiteInput, run_sql_suite
from upflux_etl.warehouse.build import build_connection
from upflux_etl.warehouse.files import first_row, has_table, scalar
from upflux_etl.warehouse.merged import merged_parts, merged_query
from upflux_etl.warehouse.meta.checks import write_checks
from upflux_etl.warehouse.meta.ledger import write_ledger
from upflux_etl.warehouse.meta.source_sessions import SourceSession
from upflux_etl.warehouse.meta.watermarks import read_watermark, write_watermark
from upflux_etl.warehouse.parts import event_days
from upflux_etl.warehouse.quarantine import (
    drop_superseded,
    ensure_quarantine_shape,
    reland_open,
    staging_select,
)
from upflux_etl.warehouse.quarantine_open import open_by_check, open_counts
from upflux_etl.warehouse.split import Ledger, split_load
from upflux_etl.warehouse.staging import (
    check_columns,
    landing_columns,
    register_mappings,
    staged_sql,
    with_unreadable_reasons,
    zone_hours_table,
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
    # check name -> (records open in quarantine failing it, earliest first seen), after the load
    open_quarantine: dict[str, tuple[int, str]] = field(default_factory=dict)
    quarantine_open: int = 0  # rows in quarantine.<dataset> after the load
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


@dataclass(frozen=True)
class QueryText:
    """A dataset's query as written (profile or client file), and where it runs.

    The establishment filter, when the client declares one, is already applied: every use of
    the query (extraction, the source count, the keys of the delete scan) sees one hospital.
    """

    sql: str
    dialect: str
    write: str
    url: str
    name: str
    schema: str | None
    batch_rows: int


def query_text(ctx: LoadContext, spec: DatasetSpec) -> QueryText:
    """The profile's (or the client's own) query for `spec`, untranslated, with its source."""
    source = ctx.client.sources[dataset_source(ctx.client, spec)]
    query = client_query(ctx.client, ctx.catalog, spec.name)
    url = resolve_url(source, ctx.settings.data_dir, ctx.client.file)
    write = dialect_of(url)
    read = query.dialect or write
    sql = query.sql
    if query.establishment_value is not None:
        try:
            sql = filter_establishment(sql, read, query.establishment, query.establishment_value)
        except QueryError as exc:
            raise QueryError(f"dataset {spec.name}: {query.name}: {exc}") from None
    return QueryText(sql, read, write, url, query.name, source.schema_, source.batch_rows)


def source_query(ctx: LoadContext, spec: DatasetSpec, watermark: str | None) -> SourceQuery:
    """The profile's (or the client's own) query for `spec`, translated, incremental if asked."""
    text = query_text(ctx, spec)
    try:
        if ctx.history is not None:
            window = history.extraction(spec, ctx.history, watermark, full=ctx.full)
            translated = window_query(
                text.sql,
                text.dialect,
                spec.incremental_column,
                text.write,
                after=window.after,
                before=window.before,
                empty=window.empty,
            )
        elif watermark and not ctx.full:
            translated = incremental(
                text.sql, text.dialect, spec.incremental_column, watermark, text.write
            )
        else:
            translated = translate(text.sql, text.dialect, text.write)
    except QueryError as exc:
        raise QueryError(f"dataset {spec.name}: {text.name}: {exc}") from None
    return SourceQuery(text.url, translated, text.name, text.schema, text.batch_rows)


def load_dataset(ctx: LoadContext, name: str) -> DatasetLoad:
    """Run one dataset's whole load into the run's build; returns its ledger and checks."""
    started = time.monotonic()
    spec = ctx.dataset(name)
    with build_connection(ctx) as con, ExitStack() as background:
        ensure_key_continuity(ctx, con)  # before anything is extracted
        watermark = None if ctx.full else read_watermark(con, name)
        query = source_query(ctx, spec, watermark)
        key = ctx.pseudonym_key()
        exclusion = exclusion_for(ctx, spec)
        since = f", changed since {watermark}" if watermark else ""
        if ctx.history is not None:
            since = f", {ctx.history.label}"
        log.info("%s: extracting (%s%s)", name, query.name, since)

        def protect(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            protected = _protected(batches, spec, key, query.name)
            return exclusion.filter(protected) if exclusion else protected

        read = read_source(con, ctx, spec, query, protect)
        early = background.enter_context(bucket_counts_ahead(con, ctx, spec, exclusion))
        landed = landing_columns(con, name)
        check_columns(spec, landed, query.name)
        rechecked = _stage(con, ctx, spec, landed)
        validating = time.monotonic()
        outcome = _validate(con, ctx, spec)
        log.info("%s: validated in %.1f s", name, time.monotonic() - validating)
        outcome = SuiteOutcome(
            outcome.dataset, (*outcome.checks, read.drift(name), read.index_check(name))
        )
        hold = bool(outcome.blocking_failures())
        if exclusion:  # rows published before the patient was excluded
            exclusion.remove_from_build(con, name, load_id=ctx.run_id)
        # A full load compares the warehouse's keys with the rows it staged, before replacing them.
        due = not hold and deletes_due(con, ctx, name)
        deletes = scan_deletes(con, ctx, spec, exclusion) if due and ctx.full else DeleteScan(False)
        ledger = split_load(
            con,
            spec,
            load_id=ctx.run_id,
            full=ctx.full,
            quarantine=with_unreadable_reasons(con, name, outcome.quarantined_row_ids()),
            hold=hold,
            timezone=ctx.client.timezone,
            now=ctx.now,
        )
        if rechecked:
            log.info("%s: %s open quarantined rows checked again", name, f"{rechecked:,}")
        if not hold and spec.event_column:  # the health score's counters of the parts written
            event_days(con, name, spec.event_column)
        if due and not ctx.full:
            deletes = scan_deletes(con, ctx, spec, exclusion, early)
        figures = reconcile(con, ctx, spec, exclusion, deletes)
        outcome = with_check(outcome, reconciliation_outcome(figures, name))
        ledger = Ledger(**{**ledger.as_dict(), "duration_s": round(time.monotonic() - started, 3)})
        write_ledger(con, ctx.run_id, ledger)
        write_checks(con, ctx.run_id, outcome.dataset, outcome.results())
        if not hold:
            _advance_watermark(con, spec, ctx)
        opened = open_by_check(con, name)
        still_open = open_counts(con).get(name, 0)
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
        opened,
        still_open,
        read.sessions,
        tuple(read.findings.unindexed),
    )


def _stage(
    con: duckdb.DuckDBPyConnection, ctx: LoadContext, spec: DatasetSpec, landed: dict[str, str]
) -> int:
    """Stage the batch and the open quarantined records after it; declared corrections applied.

    Returns how many open records are checked again with the batch.
    """
    name = spec.name
    batch_rows = scalar(con, f'select count(*) from landing."{name}"')
    ensure_quarantine_shape(con, spec, ctx.client.timezone)
    rechecked = reland_open(con, spec, landed, full=ctx.full)
    landed = landing_columns(con, name)
    used = spec.mapped_kinds
    mappings = {k: v for k, v in merged_mappings(ctx.client, ctx.catalog).items() if k in used}
    register_mappings(con, mappings)
    formats = _formats(ctx, name)
    staged = staged_sql(
        spec,
        landed,
        ctx.client.timezone,
        set(mappings),
        formats=formats,
        local_times=ctx.client.local_times,
        zone_hours=zone_hours_table(con, spec, landed, ctx.client.timezone, formats),
    )
    con.execute(f'create or replace table staging."{name}" as {staging_select(staged, batch_rows)}')
    if rechecked:
        drop_superseded(con, spec)
    apply_corrections(con, ctx, spec)
    return rechecked


def _protected(
    batches: Iterator[pa.RecordBatch], spec: DatasetSpec, key: bytes, query_name: str
) -> Iterator[pa.RecordBatch]:
    # protect_batch checks the column names first: an undeclared column stops the load here,
    # before the first batch reaches the build.
    rows, next_report = 0, PROGRESS_EVERY
    for batch in batches:
        yield protect_batch(flag_unreadable(batch), spec, key, query_name)
        rows += batch.num_rows
        if rows >= next_report:
            log.info("%s: %s rows extracted so far", spec.name, f"{rows:,}")
            next_report += PROGRESS_EVERY


def _formats(ctx: LoadContext, name: str) -> dict[str, str]:
    own = ctx.client.datasets.get(name)
    return dict(own.formats) if own else {}


def _validate(con: duckdb.DuckDBPyConnection, ctx: LoadContext, spec: DatasetSpec) -> SuiteOutcome:
    expectations = client_checks(ctx.client, ctx.catalog, spec.name)
    referring: dict[str, set[str]] = {}
    for e in expectations:
        if e.value_set_from:
            referring.setdefault(e.value_set_from, set()).add(str(e.kwargs.get("column", "")))
    staged = None if ctx.full else f'staging."{spec.name}"'
    parts = merged_parts(con, spec, full=ctx.full)
    value_sets = {
        ref: _value_set_sql(con, ref, staged, columns) for ref, columns in referring.items()
    }
    where = SqlSuiteInput(
        table=f'staging."{spec.name}"',
        merged=merged_query(con, spec, parts),
        merged_parts=parts,
        value_sets={ref: sql for ref, (sql, _) in value_sets.items()},
        fallback=lambda specs: _gx_fallback(con, ctx, spec, specs),
    )
    try:
        return run_sql_suite(con, expectations, dataset=spec.name, now=ctx.now, where=where)
    finally:
        for _, kept in value_sets.values():
            if kept:
                con.execute(f"drop table if exists {kept}")


def _gx_fallback(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    expectations: list[ExpectationSpec],
) -> SuiteOutcome:
    """Great Expectations on a frame, for the expectations SQL does not compile (none today)."""
    from upflux_etl.quality.gx_bridge import run_suite  # GX's engine, only when needed

    wanted = {e.value_set_from for e in expectations if e.value_set_from}
    value_sets = {ref: _value_set(con, ref) for ref in wanted}
    frame = con.sql(f'select * from staging."{spec.name}"').df().set_index("_row_id", drop=False)
    return run_suite(frame, expectations, dataset=spec.name, value_sets=value_sets, now=ctx.now)


def _value_set_sql(
    con: duckdb.DuckDBPyConnection, ref: str, staged: str | None, columns: set[str]
) -> tuple[str, str | None]:
    """A query of the keys of `dataset.column` the warehouse has seen, and its temporary table.

    See `_value_set`; the temporary table the query reads, if any, is the caller's to drop.
    With `staged` (an incremental load's staged table), only the keys among the values of its
    `columns`: a value is in the whole set exactly when it is in that part of it, and the
    check's hash table is then built on the load's values, not on every key of the history.
    Those few keys are kept in a temporary table: the check reads the referenced dataset once,
    not again for the failing rows' ids.
    """
    dataset, column = ref.split(".", 1)
    among = ""
    if staged is not None:
        values = " union all ".join(f'select "{c}" from {staged}' for c in sorted(columns))
        among = f' and "{column}" in ({values})'
    parts = [
        f'select "{column}" from {schema}."{dataset}" where "{column}" is not null{among}'
        for schema in ("main", "quarantine", "held")
        if has_table(con, schema, dataset)
    ]
    if not parts:
        return "select null where false", None
    query = " union all ".join(parts)
    if staged is None:  # every key of the history: read where it is
        return query, None
    kept = f'temp.main."_value_set_{dataset}_{column}"'
    con.execute(f"create or replace temp table {kept} as {query}")
    return f'select "{column}" from {kept}', kept


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
    # ignored so a single garbage date cannot stop every later incremental load. A period of
    # a history moves a cut dataset's watermark to the period's end instead.
    col = spec.incremental_column
    end = history.watermark_after(spec, ctx.history) if ctx.history is not None else None
    if end is None:
        fmt = "'%Y-%m-%d %H:%M:%S'" if spec.columns[col].type == "timestamp" else "'%Y-%m-%d'"
        row = first_row(
            con,
            f'select strftime(max("{col}")::timestamptz at time zone ?, {fmt}) from staging."{spec.name}" where "{col}" <= ?',
            [ctx.client.timezone, ctx.now],
        )
        end = row[0] if row and row[0] else None
    if end is None:
        return
    # An incremental load never moves the watermark back: after an empty batch, staging holds
    # only the open quarantined records checked again, older than the watermark.
    current = None if ctx.full else read_watermark(con, spec.name)
    write_watermark(con, spec.name, col, max(end, current) if current else end)
