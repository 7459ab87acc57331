"""The event log in memory: events sorted by case, then timestamp, then file order."""

from __future__ import annotations

from dataclasses import dataclass

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
    case_text = pc.utf8_trim_whitespace(pc.cast(case, pa.string()).fill_null(""))
    keep = pc.not_equal(case_text, "").to_numpy(zero_copy_only=False)
    without_case = int(len(keep) - keep.sum())
    case_codes, cases = _encode(case_text.filter(pa.array(keep)))
    activity_codes, activities = _encode(
        pc.cast(activity, pa.string()).fill_null("").filter(pa.array(keep))
    )
    stamps = np.asarray(timestamp, dtype=np.int64)[keep]
    # lexsort is stable: events of one case with equal timestamps keep their order in the file.
    order = np.lexsort((stamps, case_codes))
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


def _encode(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Dictionary codes (int32, in order of first appearance) and the distinct values."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    encoded = pc.dictionary_encode(values)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, encoded.dictionary.to_pylist()
