"""Read an event log from CSV, XES or Parquet into an `EventLog`."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from upflux_etl.mining.columns import LogColumns, ResolvedColumns, resolve_columns
from upflux_etl.mining.errors import EventLogError
from upflux_etl.mining.eventlog import EventLog, build_event_log
from upflux_etl.mining.read_timestamps import parse_timestamps


def read_event_log(path: Path, columns: LogColumns | None = None, sep: str = ",") -> EventLog:
    """Read a CSV (optionally .gz), XES (optionally .gz) or Parquet event log.

    Case ids and activities are read as text, never as missing values ("NA" is a case).

    Raises:
        EventLogError: unreadable file, missing column or unparseable timestamp (named).
    """
    asked = columns or LogColumns()
    name = path.name.lower()
    if not path.exists():
        raise EventLogError(f"{path}: no such file")
    if name.endswith((".xes", ".xes.gz")):
        from upflux_etl.mining.xes import read_xes

        return read_xes(path)
    if name.endswith(".parquet"):
        names = pq.read_schema(path).names
        resolved = resolve_columns(names, asked, str(path))
        # Activities are few: Parquet's own dictionary saves hashing them. Case ids are many,
        # and unifying their per-row-group dictionaries costs more than one hash pass.
        table = pq.read_table(path, read_dictionary=[resolved.activity])
    else:
        table = _read_csv(path, asked, sep)
    resolved = resolve_columns(table.column_names, asked, str(path))
    return _from_table(table, resolved, str(path))


def _read_csv(path: Path, asked: LogColumns, sep: str) -> pa.Table:
    """Every column as text: no value becomes missing, so "NA" and "" stay what they are."""
    try:
        # Only the header's names: every column is read as text below.
        reader = pacsv.open_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=False),
        )
        available = reader.schema.names
        reader.close()
        resolved = resolve_columns(available, asked, str(path))
        wanted = [
            c
            for c in (resolved.case, resolved.activity, resolved.timestamp, resolved.resource)
            if c
        ]
        return pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types=dict.fromkeys(wanted, pa.string())
                | {resolved.activity: pa.dictionary(pa.int32(), pa.string())},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise EventLogError(f"{path}: not a readable CSV with separator {sep!r}: {exc}") from exc


def _from_table(table: pa.Table, columns: ResolvedColumns, source: str) -> EventLog:
    timestamps = parse_timestamps(table.column(columns.timestamp), source, columns.timestamp)
    resource = None
    if columns.resource:
        resource = table.column(columns.resource).cast(pa.string()).to_numpy(zero_copy_only=False)
    return build_event_log(
        table.column(columns.case), table.column(columns.activity), timestamps, resource
    )
