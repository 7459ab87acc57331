"""XES (IEEE 1849-2023) event logs: streamed reading and writing.

A trace's `concept:name` is its case id; an event's `concept:name` its activity,
`time:timestamp` its time and `org:resource` its resource. A trace without a name, or with
an empty one, is no case: its events are counted as without case (as in a CSV).
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
import pyarrow as pa

from upflux_etl.mining.errors import EventLogError
from upflux_etl.mining.eventlog import EventLog, build_event_log
from upflux_etl.mining.read_timestamps import parse_timestamps

_NO_TRACE = object()  # before the first trace (a case id may be None)
_KEYS = {"concept:name": "activity", "time:timestamp": "timestamp", "org:resource": "resource"}


def read_xes(path: Path) -> EventLog:
    """Stream-parse a .xes or .xes.gz file (events of a trace are kept in file order).

    Raises:
        EventLogError: not XML, or an event without a timestamp (named by trace and event).
    """
    cases: list[str] = []
    activities: list[str] = []
    stamps: list[str] = []
    resources: list[str | None] = []
    try:
        with _open(path) as stream:
            for case, events in _traces(stream):
                for activity, stamp, resource in events:
                    cases.append(case)
                    activities.append(activity)
                    stamps.append(stamp)
                    resources.append(resource)
    except (ET.ParseError, OSError, EOFError) as exc:
        raise EventLogError(f"{path}: not a readable XES file: {exc}") from exc
    timestamps = parse_timestamps(pa.array(stamps, pa.string()), str(path), "time:timestamp")
    has_resource = any(r is not None for r in resources)
    return build_event_log(
        pa.array(cases, pa.string()),
        pa.array(activities, pa.string()),
        timestamps,
        np.array(resources, dtype=object) if has_resource else None,
    )


def _open(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _traces(stream: IO[bytes]) -> Iterator[tuple[str, list[tuple[str, str, str | None]]]]:
    """(case id, events) per trace; attributes of nested elements are ignored."""
    depth = 0
    case = ""
    events: list[tuple[str, str, str | None]] = []
    event: dict[str, str] = {}
    for action, element in ET.iterparse(stream, events=("start", "end")):
        tag = element.tag.rsplit("}", 1)[-1]
        if action == "start":
            depth += 1
            if tag == "trace":
                case, events = "", []
            elif tag == "event":
                event = {}
            continue
        depth -= 1
        key = element.get("key")
        if key is not None and tag in ("string", "date", "id", "int", "float"):
            parent = _parent_level(depth)
            if parent == "event" and key in _KEYS:
                event[_KEYS[key]] = element.get("value", "")
            elif parent == "trace" and key == "concept:name":
                case = element.get("value", "")
        elif tag == "event":
            events.append(
                (event.get("activity", ""), event.get("timestamp", ""), event.get("resource"))
            )
            element.clear()
        elif tag == "trace":
            yield case, events
            element.clear()


def _parent_level(depth: int) -> str:
    """Attributes directly in an event sit at depth 3 (log, trace, event), in a trace at 2."""
    return {3: "event", 2: "trace"}.get(depth, "")


def write_xes(frames: pd.DataFrame | Iterable[pd.DataFrame], path: Path) -> None:
    """Write frames in the XES standard's column names as XES, one trace per case.

    Each frame has `case:concept:name`, `concept:name`, `time:timestamp` (UTC) and optionally
    `org:resource`; the events are grouped by case and in order across the frames (a case may
    continue in the next frame), so a log larger than memory is written in parts.
    """
    parts = [frames] if isinstance(frames, pd.DataFrame) else frames
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            '<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">\n'
        )
        for name, prefix in (("Concept", "concept"), ("Time", "time"), ("Organizational", "org")):
            uri = f"http://www.xes-standard.org/{prefix}.xesext"
            out.write(f'  <extension name="{name}" prefix="{prefix}" uri="{uri}"/>\n')
        current: object = _NO_TRACE
        for frame in parts:
            current = _write_events(out, frame, current)
        if current is not _NO_TRACE:
            out.write("  </trace>\n")
        out.write("</log>\n")


def _write_events(out: IO[str], frame: pd.DataFrame, current: object) -> object:
    """Write one frame's events after the trace of `current` (open); returns the last case."""
    has_resource = "org:resource" in frame.columns
    stamps = (
        frame["time:timestamp"]
        .dt.strftime("%Y-%m-%dT%H:%M:%S.%f%z")
        .str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True)
    )
    for i, case in enumerate(frame["case:concept:name"].to_numpy()):
        if current is _NO_TRACE or case != current:
            if current is not _NO_TRACE:
                out.write("  </trace>\n")
            out.write(f'  <trace>\n    <string key="concept:name" value={quoteattr(str(case))}/>\n')
            current = case
        out.write("    <event>\n")
        out.write(
            f'      <string key="concept:name" value={quoteattr(str(frame["concept:name"].iat[i]))}/>\n'
        )
        out.write(f'      <date key="time:timestamp" value="{stamps.iat[i]}"/>\n')
        resource = frame["org:resource"].iat[i] if has_resource else None
        if isinstance(resource, str) and resource:
            out.write(f'      <string key="org:resource" value={quoteattr(str(resource))}/>\n')
        out.write("    </event>\n")
    return current
