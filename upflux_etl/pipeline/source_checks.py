"""What a load asks the source's catalog before extracting a dataset.

The columns and types of the tables its query reads (compared with the previous load's: schema drift, since a
query naming its columns never sees a new one) and whether the incremental column is indexed.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import sqlglot

from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.probe import open_probe
from upflux_etl.extract.session_options import SessionOptions
from upflux_etl.extract.source_catalog import (
    CATALOG_DIALECTS,
    column_sources,
    indexed_columns,
    source_tables,
    tables_read,
)
from upflux_etl.extract.urls import dialect_of
from upflux_etl.warehouse.meta.source_columns import Columns
from upflux_etl.warehouse.meta.source_sessions import SourceSession


@dataclass
class SourceFindings:
    """What the catalog said about one dataset's query."""

    columns: Columns = field(default_factory=dict)
    unindexed: list[str] = field(default_factory=list)  # "table.column", no index leads it
    traced: int = 0  # ERP columns the incremental column comes from (0: lineage unknown)
    session: SourceSession | None = None
    error: str | None = None
    unsupported: str | None = None  # why this source's catalog is not read at all


def inspect_source(
    source: str,
    dataset: str,
    url: str,
    schema: str | None,
    sql: str,
    incremental_column: str,
    session: SessionOptions,
) -> SourceFindings:
    """The catalog's columns of the tables `sql` reads, and its unindexed incremental columns.

    Never raises for the source: a failure is kept in `error` (the extraction that follows
    reports the source's state itself).
    """
    dialect = dialect_of(url)
    found = SourceFindings()
    if dialect not in CATALOG_DIALECTS:
        found.unsupported = f"o catálogo de um banco {dialect} não é lido por esta versão"
        return found
    started_at, started = dt.datetime.now(dt.UTC), time.monotonic()
    try:
        read = tables_read(sql, dialect)
    except sqlglot.errors.SqlglotError as exc:
        found.unsupported = f"a consulta não pôde ser analisada ({type(exc).__name__})"
        return found
    try:
        with open_probe(url, schema, session) as probe:
            tables = source_tables(probe, schema, read)
            found.columns = {t: dict(tables[t].columns) for t in sorted(read) if t in tables}
            indexed = indexed_columns(probe, schema, read)
        behind = sorted(column_sources(sql, dialect, incremental_column))
        found.traced = len(behind)
        for table, column in behind:
            if (table, column) not in indexed:
                found.unindexed.append(f"{table}.{column}")
    except SourceError as exc:
        found.error = str(exc)
    found.session = SourceSession(
        source=source,
        dataset=dataset,
        purpose="probe",
        attempt=1,
        started_at=started_at,
        seconds=round(time.monotonic() - started, 3),
        rows_read=0,
        outcome="failed" if found.error else "ok",
        reason=found.error,
    )
    return found
