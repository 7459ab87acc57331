"""A published warehouse's event log (case = encounter), exported as Parquet and XES."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from upflux_etl.mining.xes import write_xes
from upflux_etl.warehouse.files import sql_literal


@dataclass(frozen=True)
class ExportedLog:
    """Where the event log went and how big it is."""

    parquet: Path
    xes: Path
    events: int
    cases: int


XES_BATCH = 100_000  # events written to XES at a time (`export_event_log`)
# The query's rows are unordered: grouped by case, in time order, equal times in process order.
EVENT_ORDER = "case_id, occurred_at, activity_rank"


def copy_event_log(con: duckdb.DuckDBPyConnection, sql: str, parquet: Path) -> None:
    """Stream the events into `parquet` by DuckDB's COPY: the log never enters Python.

    The XES standard's column names (`case:concept:name`, `concept:name`, `time:timestamp` in
    UTC to the microsecond, `org:resource`), from `log_rows`. The rows are copied first as they come (a sort in the same pipeline as the
    warehouse's scan runs out of memory), then sorted into a scratch file renamed over the old
    one.
    """
    rows = parquet.with_suffix(".rows.tmp")
    scratch = parquet.with_suffix(".tmp")
    try:
        con.execute(f"copy ({log_rows(con, sql)}) to {sql_literal(rows)} (format parquet)")
        con.execute(
            f"""copy (
                select case_id as "case:concept:name", activity as "concept:name",
                       occurred_at as "time:timestamp", unit as "org:resource"
                from read_parquet({sql_literal(rows)})
                order by {EVENT_ORDER}
            ) to {sql_literal(scratch)} (format parquet)"""
        )
        scratch.replace(parquet)
    finally:
        rows.unlink(missing_ok=True)
        scratch.unlink(missing_ok=True)


def log_rows(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The event log query's rows, typed as the log keeps them (unordered).

    Ids, activities and units as text; times as `timestamptz`, a naive timestamp read as UTC
    (as pandas reads it there).
    """
    query = _query(sql)
    kinds = {row[0]: row[1] for row in con.execute(f"describe {query}").fetchall()}
    stamp = "occurred_at"
    if kinds.get("occurred_at") == "TIMESTAMP":
        stamp = "timezone('UTC', occurred_at)"
    return f"""select cast(case_id as varchar) as case_id,
               cast(activity as varchar) as activity,
               cast({stamp} as timestamptz) as occurred_at,
               cast(unit as varchar) as unit,
               activity_rank
        from ({query})"""


def _query(sql: str) -> str:
    """The query as a subquery (a trailing semicolon or comment would end it)."""
    return sql.strip().rstrip(";") + "\n"


def export_event_log(con: duckdb.DuckDBPyConnection, sql: str, out: Path) -> ExportedLog:
    """Write `event_log.parquet` and `event_log.xes` into `out`, in bounded memory.

    The Parquet file by DuckDB's COPY (`copy_event_log`, within the connection's memory
    limit), then the XES file from it, `XES_BATCH` events at a time.
    """
    out.mkdir(parents=True, exist_ok=True)
    parquet = out / "event_log.parquet"
    copy_event_log(con, sql, parquet)
    xes = out / "event_log.xes"
    batches = pq.ParquetFile(parquet).iter_batches(batch_size=XES_BATCH)
    write_xes((batch.to_pandas() for batch in batches), xes)
    events, cases = con.execute(
        f'select count(*), count(distinct "case:concept:name") from read_parquet({sql_literal(parquet)})'
    ).fetchall()[0]
    return ExportedLog(parquet=parquet, xes=xes, events=int(events), cases=int(cases))
