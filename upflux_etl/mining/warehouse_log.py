"""A published warehouse's event log (case = encounter), exported as Parquet and XES."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from upflux_etl.mining.xes import write_xes


@dataclass(frozen=True)
class ExportedLog:
    """Where the event log went and how big it is."""

    parquet: Path
    xes: Path
    events: int
    cases: int


def event_log_frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """The events, with the XES standard's column names, grouped by case and in order."""
    rows = con.execute(sql).df()
    stamps = pd.Series(pd.to_datetime(rows["occurred_at"], utc=True)).dt.as_unit("us")
    return pd.DataFrame(
        {
            "case:concept:name": rows["case_id"].astype(str),
            "concept:name": rows["activity"].astype(str),
            "time:timestamp": stamps,
            "org:resource": rows["unit"],
        }
    )


def export_event_log(con: duckdb.DuckDBPyConnection, sql: str, out: Path) -> ExportedLog:
    """Write `event_log.parquet` and `event_log.xes` into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    frame = event_log_frame(con, sql)
    parquet = out / "event_log.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), parquet)
    xes = out / "event_log.xes"
    write_xes(frame, xes)
    return ExportedLog(
        parquet=parquet,
        xes=xes,
        events=len(frame),
        cases=int(frame["case:concept:name"].nunique()),
    )
