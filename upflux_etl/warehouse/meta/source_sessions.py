"""`meta.source_sessions`: every session a load opened on a source.

Extraction attempts included, so the load records its retries and what the hospital's DBA
saw of it.

Our sessions hold one read-only transaction for one statement, so a session's time is both
its query's and its transaction's (measured on our side, connect included).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import duckdb

from upflux_etl.warehouse.files import has_table


@dataclass(frozen=True)
class SourceSession:
    """One session on a source: an extraction attempt or a catalog probe."""

    source: str
    dataset: str
    purpose: str  # "extract" or "probe"
    attempt: int
    started_at: dt.datetime
    seconds: float
    rows_read: int
    outcome: str  # "ok", "retried", "failed"
    reason: str | None = None

    def as_dict(self) -> dict:
        """The session as plain values (JSON and Dagster metadata)."""
        return {**asdict(self), "started_at": self.started_at.isoformat()}


def write_sessions(
    con: duckdb.DuckDBPyConnection, load_id: str, sessions: list[SourceSession]
) -> None:
    """Keep the sessions one dataset of `load_id` opened."""
    for s in sessions:
        con.execute(
            "insert into meta.source_sessions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id,
                s.source,
                s.dataset,
                s.purpose,
                s.attempt,
                s.started_at,
                s.seconds,
                s.rows_read,
                s.outcome,
                s.reason,
            ],
        )


def read_retries(con: duckdb.DuckDBPyConnection, load_id: str) -> dict[str, list[dict]]:
    """Dataset -> its failed extraction attempts of `load_id` (attempt, reason), retried ones."""
    if not has_table(con, "meta", "source_sessions"):
        return {}
    rows = con.execute(
        "select dataset, attempt, reason from meta.source_sessions where load_id = ? "
        "and purpose = 'extract' and outcome <> 'ok' order by dataset, attempt",
        [load_id],
    ).fetchall()
    out: dict[str, list[dict]] = {}
    for dataset, attempt, reason in rows:
        out.setdefault(dataset, []).append({"attempt": attempt, "reason": reason})
    return out


def read_dba_view(con: duckdb.DuckDBPyConnection, load_id: str) -> dict[str, dict]:
    """Source -> what its DBA saw of `load_id`.

    Sessions, longest query and longest transaction (seconds), rows read.
    """
    if not has_table(con, "meta", "source_sessions"):
        return {}
    rows = con.execute(
        "select source, count(*), max(seconds), sum(rows_read) from meta.source_sessions "
        "where load_id = ? group by source order by source",
        [load_id],
    ).fetchall()
    return {
        source: {
            "sessions": int(count),
            "longest_query_s": round(float(longest or 0), 3),
            "longest_transaction_s": round(float(longest or 0), 3),
            "rows_read": int(rows_read or 0),
        }
        for source, count, longest, rows_read in rows
    }
