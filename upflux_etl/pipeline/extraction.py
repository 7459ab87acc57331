"""One dataset's extraction, retried on transient errors: exponential backoff with jitter.

Only the failed dataset's extraction is retried, never the whole load (no run-level retry
policy redoes a load on top of this: docs/DECISIONS.md). A lost connection, a deadlock or a
timeout is retried; an SQL error or a refused password is not. Every attempt is a session
the load records (`warehouse/meta/source_sessions.py`), with its reason when it failed.
`read_source` is the whole source side of a dataset's load: the catalog's answers first
(`pipeline/source_checks.py`: schema drift, unindexed incremental column), then the rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from upflux_etl.catalog.clients import dataset_source
from upflux_etl.catalog.models import DatasetSpec, RetrySpec
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.session_options import SessionOptions, session_options
from upflux_etl.extract.source import open_batches
from upflux_etl.extract.throttle import Pace, paced
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.pipeline.source_checks import SourceFindings, inspect_source
from upflux_etl.quality.outcome import CheckOutcome
from upflux_etl.quality.source_index import index_outcome, unindexed_warning
from upflux_etl.quality.source_schema import Columns, drift_outcome
from upflux_etl.warehouse.meta.source_columns import previous_source_columns, write_source_columns
from upflux_etl.warehouse.meta.source_sessions import SourceSession, write_sessions
from upflux_etl.warehouse.staging import land

if TYPE_CHECKING:
    from upflux_etl.pipeline.datasets import SourceQuery

log = logging.getLogger("upflux.pipeline")

Protect = Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]


@dataclass(frozen=True)
class Extraction:
    """Where and how one dataset is read."""

    source: str
    dataset: str
    url: str
    sql: str
    schema: str | None
    batch_rows: int
    session: SessionOptions
    retry: RetrySpec
    max_rows_per_second: int | None = None  # the source's pace (extract/throttle.py)


@dataclass
class Attempts:
    """The extraction sessions of one dataset, in order."""

    sessions: list[SourceSession] = field(default_factory=list)

    @property
    def retried(self) -> list[SourceSession]:
        """The attempts that failed and were retried or failed the load."""
        return [s for s in self.sessions if s.outcome != "ok"]


def backoff_seconds(attempt: int, retry: RetrySpec, draw: Callable[[], float]) -> float:
    """The wait after failed attempt `attempt` (1-based): full jitter on an exponential cap."""
    cap = min(retry.max_backoff_s, retry.backoff_s * 2 ** (attempt - 1))
    return cap * draw()


def extract_with_retries(
    con: duckdb.DuckDBPyConnection,
    extraction: Extraction,
    protect: Protect,
    *,
    sleep: Callable[[float], None] = time.sleep,
    draw: Callable[[], float] = random.random,
) -> Attempts:
    """Land the dataset's rows in the build, retrying transient source errors.

    Raises:
        SourceError: a non-transient error (at once), or the last transient one once every
            attempt failed; the message says how many attempts were made and why they failed.
    """
    attempts = Attempts()
    total = extraction.retry.attempts
    for number in range(1, total + 1):
        started_at, started = dt.datetime.now(dt.UTC), time.monotonic()
        try:
            with open_batches(
                extraction.url,
                extraction.sql,
                schema=extraction.schema,
                batch_rows=extraction.batch_rows,
                session=extraction.session,
            ) as batches:
                pace = Pace()
                limited = paced(batches, extraction.max_rows_per_second, pace)
                rows = land(con, extraction.dataset, protect(limited))
        except SourceError as exc:
            last = number == total or exc.transient is None
            reason = exc.transient or "erro não transitório (não repetido)"
            attempts.sessions.append(
                _session(extraction, number, started_at, started, 0, last, reason)
            )
            if last:
                raise _final_error(exc, attempts, total) from None
            wait = backoff_seconds(number, extraction.retry, draw)
            log.warning(
                "%s: attempt %d of %d failed (%s); retrying in %.1f s: %s",
                extraction.dataset,
                number,
                total,
                reason,
                wait,
                exc,
            )
            sleep(wait)
            continue
        attempts.sessions.append(
            _session(extraction, number, started_at, started, rows, None, None)
        )
        if pace.waited_s:
            log.info(
                "%s: paced to %s rows/s (max_rows_per_second): waited %.1f s",
                extraction.dataset,
                f"{extraction.max_rows_per_second:,}",
                pace.waited_s,
            )
        return attempts
    raise AssertionError("unreachable: the loop returns or raises")


def _session(
    extraction: Extraction,
    number: int,
    started_at: dt.datetime,
    started: float,
    rows: int,
    last: bool | None,
    reason: str | None,
) -> SourceSession:
    outcome = "ok" if last is None else ("failed" if last else "retried")
    return SourceSession(
        source=extraction.source,
        dataset=extraction.dataset,
        purpose="extract",
        attempt=number,
        started_at=started_at,
        seconds=round(time.monotonic() - started, 3),
        rows_read=rows,
        outcome=outcome,
        reason=reason,
    )


def _final_error(exc: SourceError, attempts: Attempts, total: int) -> SourceError:
    made = len(attempts.sessions)
    if exc.transient is None and made == 1:
        return exc
    reasons = "; ".join(f"{s.attempt}: {s.reason}" for s in attempts.retried)
    return SourceError(
        f"{exc} (after {made} of {total} attempt(s); {reasons})", transient=exc.transient
    )


@dataclass(frozen=True)
class SourceRead:
    """What reading one dataset from its source did: the catalog's answers and the sessions."""

    source: str
    schema: str | None
    findings: SourceFindings
    previous_columns: Columns | None
    sessions: tuple[SourceSession, ...]

    def drift(self, dataset: str) -> CheckOutcome:
        """The dataset's schema-drift check."""
        return drift_outcome(
            dataset,
            self.findings.columns,
            self.previous_columns,
            error=self.findings.error,
            unsupported=self.findings.unsupported,
        )

    def index_check(self, dataset: str) -> CheckOutcome:
        """The dataset's unindexed-incremental-column check (a warning, never blocking)."""
        return index_outcome(
            self.source,
            dataset,
            self.findings.unindexed,
            self.schema,
            traced=self.findings.traced,
            error=self.findings.error,
            unsupported=self.findings.unsupported,
        )


def read_source(
    con: duckdb.DuckDBPyConnection,
    ctx: LoadContext,
    spec: DatasetSpec,
    query: SourceQuery,
    protect: Protect,
) -> SourceRead:
    """Ask the source's catalog about the query, then land its rows (retried when transient).

    The catalog's columns go to `meta.source_columns`, every session to `meta.source_sessions`;
    an incremental column without an index is logged as a warning (and becomes the failed,
    non-blocking check `source_incremental_indexed`: `SourceRead.index_check`).
    """
    name = dataset_source(ctx.client, spec)
    source = ctx.client.sources[name]
    session = session_options(source, ctx.client.slug)
    findings = inspect_source(
        name, spec.name, query.url, query.schema, query.sql, spec.incremental_column, session
    )
    for qualified in findings.unindexed:
        log.warning(
            "%s",
            unindexed_warning(name, spec.name, spec.incremental_column, qualified, query.schema),
        )
    previous = previous_source_columns(con, ctx.run_id, name, list(findings.columns))
    write_source_columns(con, ctx.run_id, name, findings.columns)
    extraction = Extraction(
        name,
        spec.name,
        query.url,
        query.sql,
        query.schema,
        query.batch_rows,
        session,
        source.retry,
        source.max_rows_per_second,
    )
    attempts = extract_with_retries(con, extraction, protect)
    sessions = ([findings.session] if findings.session else []) + attempts.sessions
    write_sessions(con, ctx.run_id, sessions)
    return SourceRead(name, query.schema, findings, previous, tuple(sessions))
