"""A dataset materialization's metadata about its extraction.

Attempts, retries and why, what the source's DBA saw, incremental columns without an index.
"""

from __future__ import annotations

from upflux_etl.warehouse.meta.source_sessions import SourceSession


def extraction_metadata(sessions: tuple[SourceSession, ...], unindexed: tuple[str, ...]) -> dict:
    """The metadata entries of one dataset's extraction.

    `extraction_attempts`, `retries`, `retry_reasons`, `source_sessions`,
    `longest_source_query_s`, `unindexed_incremental_columns`.
    """
    extracts = [s for s in sessions if s.purpose == "extract"]
    retried = [s for s in extracts if s.outcome != "ok"]
    return {
        "extraction_attempts": len(extracts),
        "retries": len(retried),
        "retry_reasons": "; ".join(f"{s.attempt}: {s.reason}" for s in retried) or "",
        "source_sessions": len(sessions),
        "longest_source_query_s": max((s.seconds for s in sessions), default=0.0),
        "unindexed_incremental_columns": ", ".join(unindexed),
    }
