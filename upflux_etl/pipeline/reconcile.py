"""Reconciliation with the source: its whole total, counted at every load, against the build.

The dataset's query without its incremental window is wrapped in a `select count(*)`, translated
like the extraction query, and run read-only; when the load's delete scan has just read that
whole query for its keys (or its counts per bucket of the key), its rows are the count (one
read of the source, not two). The warehouse's side counts what the build holds now
(`warehouse/holdings.py`). Both are kept in `meta.reconciliation`; a difference fails the
`source_reconciled` check of the dataset. A period of a historical load counts the source's
rows of the history so far instead ([since, period end), `pipeline/history.py`).
"""

from __future__ import annotations

import duckdb

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.source import open_batches
from upflux_etl.extract.sql import QueryError, count_query, window_query
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.pipeline.deletes import DeleteScan
from upflux_etl.pipeline.exclusions import Exclusion
from upflux_etl.pipeline.history import counted
from upflux_etl.warehouse.holdings import holdings
from upflux_etl.warehouse.meta.reconciliation import Reconciliation, write_reconciliation
from upflux_etl.warehouse.meta.tombstones import tombstone_count


def source_total(
    ctx: LoadContext, spec: DatasetSpec, exclusion: Exclusion | None
) -> tuple[int, int]:
    """(rows of the dataset's whole query at the source, of them rows of excluded patients)."""
    # Imported here: datasets.py imports this module.
    from upflux_etl.pipeline.datasets import query_text

    text = query_text(ctx, spec)
    excluded = (exclusion.column, exclusion.at_source) if exclusion else None
    sql, dialect = text.sql, text.dialect
    if ctx.history is not None:
        # A period of a history: the source's rows the history has loaded so far.
        window = counted(spec, ctx.history)
        sql = window_query(
            sql,
            dialect,
            spec.incremental_column,
            text.write,
            after=window.after,
            before=window.before,
        )
        dialect = text.write
    sql = count_query(sql, dialect, text.write, excluded)
    with open_batches(text.url, sql, schema=text.schema, batch_rows=10) as batches:
        rows = [r for b in batches for r in b.to_pylist()]
    first = rows[0] if rows else {}
    values = list(first.values())
    return int(values[0] or 0), int(values[1] or 0) if len(values) > 1 else 0


def reconcile(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    exclusion: Exclusion | None,
    deletes: DeleteScan,
) -> Reconciliation:
    """Count the source and the build for `spec`, keep both in `meta.reconciliation`."""
    error = deletes.error
    try:
        if deletes.source_rows is not None and ctx.history is None:
            total, excluded = deletes.source_rows  # the keys scan read the whole query
        else:
            total, excluded = source_total(ctx, spec, exclusion)
    except (SourceError, QueryError) as exc:
        total, excluded, error = None, 0, f"contagem na origem: {exc}"
    held = holdings(con, spec)
    figures = Reconciliation(
        dataset=spec.name,
        source_count=total,
        source_excluded=excluded,
        published=held.published,
        quarantine_open=held.quarantine_open,
        held=held.held,
        superseded=held.superseded,
        warehouse_count=held.total,
        tombstoned=deletes.tombstoned,
        tombstones=tombstone_count(con, spec.name),
        deletes_scanned=deletes.scanned,
        error=error,
    )
    write_reconciliation(con, ctx.run_id, figures, ctx.now)
    return figures
