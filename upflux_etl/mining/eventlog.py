"""The event log in memory: events sorted by case, then timestamp, then file order."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class EventLog:
    """Events as integer codes, sorted by case, timestamp and position in the file.

    Attributes:
        cases: case ids (text), in order of first appearance in the file.
        activities: activity names; `activity` holds indexes into it.
        case: per event, the index of its case in `cases` (non-decreasing).
        activity: per event, the index of its activity in `activities`.
        timestamp: per event, nanoseconds since the epoch (UTC).
        resource: per event, the resource (None when the log has none).
        offsets: event index where each case starts, plus the number of events at the end.
        without_case: events whose case id was empty: not a case, so not analysed (counted).
    """

    cases: np.ndarray
    activities: list[str]
    case: np.ndarray
    activity: np.ndarray
    timestamp: np.ndarray
    resource: np.ndarray | None
    offsets: np.ndarray
    without_case: int = 0

    @property
    def n_events(self) -> int:
        """Events analysed (those with a case id)."""
        return len(self.activity)

    @property
    def n_cases(self) -> int:
        """Distinct non-empty case ids."""
        return len(self.cases)

    def to_frame(self) -> pd.DataFrame:
        """The events as a frame with the XES standard column names, in log order."""
        frame = pd.DataFrame(
            {
                "case:concept:name": self.cases[self.case],
                "concept:name": np.asarray(self.activities, dtype=object)[self.activity],
                "time:timestamp": pd.to_datetime(self.timestamp, utc=True),
            }
        )
        if self.resource is not None:
            frame["org:resource"] = self.resource
        return frame


def build_event_log(
    case: pa.Array | pa.ChunkedArray,
    activity: pa.Array | pa.ChunkedArray,
    timestamp: np.ndarray,
    resource: np.ndarray | None = None,
) -> EventLog:
    """Sort and encode events given in file order.

    Args:
        case: case ids as text; an empty (or blank) id is no case (counted, not analysed).
        activity: activity names as text.
        timestamp: nanoseconds since the epoch (UTC), one per event.
        resource: the resource of each event, or None.
    """
    all_codes, all_cases = _encode(case)
    # Blank ids are found on the distinct values, not on every event.
    blank = np.array([not value.strip() for value in all_cases], dtype=bool)
    keep = ~blank[all_codes]
    without_case = int(len(keep) - keep.sum())
    renumber = np.cumsum(~blank) - 1
    case_codes = renumber[all_codes[keep]].astype(np.int32)
    cases = [value for value, is_blank in zip(all_cases, blank, strict=True) if not is_blank]
    activity_codes, activities = _encode(activity)
    activity_codes = activity_codes[keep]
    stamps = np.asarray(timestamp, dtype=np.int64)[keep]
    order = _case_time_order(case_codes, stamps)
    sorted_case = case_codes[order]
    starts = np.flatnonzero(np.diff(sorted_case, prepend=-1)) if len(order) else np.array([])
    offsets = np.append(starts, len(order)).astype(np.int64)
    return EventLog(
        cases=np.asarray(cases, dtype=object),
        activities=list(activities),
        case=sorted_case,
        activity=activity_codes[order],
        timestamp=stamps[order],
        resource=None if resource is None else np.asarray(resource, dtype=object)[keep][order],
        offsets=offsets,
        without_case=without_case,
    )


def _case_time_order(case: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """Positions sorted by case, then time, then position: equal times keep the file's order.

    DuckDB's parallel sort: three times faster than numpy's lexsort on millions of events.
    """
    events = pa.table({"c": case, "t": stamps, "p": np.arange(len(case), dtype=np.int64)})
    con = duckdb.connect()
    try:
        con.register("events", events)
        return np.asarray(con.execute("select p from events order by c, t, p").fetchnumpy()["p"])
    finally:
        con.close()


def _encode(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Dictionary codes (int32) and the distinct values; a missing value reads as "".

    Columns read as dictionaries (Parquet's own, or the CSV reader's) are not hashed again.
    """
    if isinstance(values, pa.ChunkedArray):
        if not values.num_chunks:
            return np.zeros(0, dtype=np.int32), []
        if pa.types.is_dictionary(values.type):
            values = values.unify_dictionaries()
            dictionary = values.chunk(0).dictionary
            indices = pa.chunked_array([c.indices for c in values.chunks]).combine_chunks()
            return _dictionary_codes(indices, dictionary)
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        return _dictionary_codes(values.indices, values.dictionary)
    values = pc.cast(values, pa.string())
    if values.null_count:
        values = values.fill_null("")
    encoded = pc.dictionary_encode(values)
    return _dictionary_codes(encoded.indices, encoded.dictionary)


def _dictionary_codes(indices: pa.Array, dictionary: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Codes and names of a dictionary (its values are distinct); a null reads as ""."""
    names = [("" if v is None else str(v)) for v in dictionary.to_pylist()]
    if indices.null_count:
        if "" not in names:
            names.append("")
        indices = indices.fill_null(names.index(""))
    return indices.to_numpy(zero_copy_only=False).astype(np.int32), names
