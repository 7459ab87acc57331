"""Which columns of a tabular event log hold the case, activity, timestamp and resource."""

from __future__ import annotations

from dataclasses import dataclass

from upflux_etl.mining.errors import EventLogError

# The XES standard names first (pm4py's and most exporters'), then common alternatives.
CASE_NAMES = ("case:concept:name", "case_id", "case", "caseid", "case id", "case_concept_name")
ACTIVITY_NAMES = ("concept:name", "activity", "activity_name", "event", "concept_name", "task")
TIMESTAMP_NAMES = (
    "time:timestamp",
    "timestamp",
    "time",
    "complete_timestamp",
    "end_timestamp",
    "time_timestamp",
    "datetime",
)
RESOURCE_NAMES = ("org:resource", "resource", "org_resource", "user")


@dataclass(frozen=True)
class LogColumns:
    """Column names asked for (None: pick the first known name present)."""

    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    resource: str | None = None


@dataclass(frozen=True)
class ResolvedColumns:
    """Column names found in a file."""

    case: str
    activity: str
    timestamp: str
    resource: str | None


def resolve_columns(available: list[str], asked: LogColumns, source: str) -> ResolvedColumns:
    """The columns to read, or an error naming the file, the role and the columns it has.

    Raises:
        EventLogError: a column asked for is missing, or none of the known names is present.
    """
    by_lower = {name.lower(): name for name in reversed(available)}

    def pick(role: str, wanted: str | None, known: tuple[str, ...], required: bool) -> str | None:
        if wanted is not None:
            if wanted not in available:
                raise EventLogError(
                    f"{source}: no column {wanted!r} for the {role} "
                    f"(columns: {', '.join(available)})"
                )
            return wanted
        for name in known:
            if name in by_lower:
                return by_lower[name]
        if required:
            raise EventLogError(
                f"{source}: no {role} column found (tried {', '.join(known)}; columns: "
                f"{', '.join(available)}); name it with --{role}"
            )
        return None

    case = pick("case", asked.case, CASE_NAMES, True)
    activity = pick("activity", asked.activity, ACTIVITY_NAMES, True)
    timestamp = pick("timestamp", asked.timestamp, TIMESTAMP_NAMES, True)
    resource = pick("resource", asked.resource, RESOURCE_NAMES, False)
    assert case and activity and timestamp  # required roles raise above
    return ResolvedColumns(case, activity, timestamp, resource)
