"""Timestamps of an event log as nanoseconds since the epoch, or an error naming the row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upflux_etl.mining.errors import EventLogError


def parse_timestamps(values: pa.ChunkedArray | pa.Array, source: str, column: str) -> np.ndarray:
    """Nanoseconds since the epoch (UTC; a time without offset is taken as UTC).

    Raises:
        EventLogError: a timestamp is empty or unparseable (the first such row is named).
    """
    if pa.types.is_timestamp(values.type):
        if values.null_count:
            first = int(np.flatnonzero(pc.is_null(values).to_numpy(zero_copy_only=False))[0])
            raise EventLogError(
                f"{source}: column {column!r}, event {first + 1}: no timestamp "
                f"({values.null_count} such event(s))"
            )
        # A time without zone is taken as UTC: its epoch value is the same.
        as_ns = values.cast(pa.timestamp("ns", tz=values.type.tz))
        return np.asarray(as_ns.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    else:
        series = pd.Series(values.cast(pa.string()).to_pandas())
        parsed = pd.to_datetime(series, utc=True, format="ISO8601", errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        row = int(bad[0])
        raise EventLogError(
            f"{source}: column {column!r}, event {row + 1} (line {row + 2} of a CSV): "
            f"timestamp {series.iloc[row]!r} is empty or not a date and time "
            f"({len(bad)} such event(s))"
        )
    return parsed.dt.as_unit("ns").astype("int64").to_numpy()
