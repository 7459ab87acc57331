"""An extraction paced to the source's `max_rows_per_second`: the DBA's window respected.

After each batch the reader waits until the rows read so far, at the limit, would have taken
the time elapsed since the first read: the average rate from the start stays at or below the
limit whatever the batch sizes, and a slow source is never slowed further. The wait happens
before the next batch is asked for, so the database itself is read no faster. The clock and
the sleep are arguments (tests pass their own).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa


@dataclass
class Pace:
    """What pacing did: rows read, seconds waited on purpose."""

    rows: int = 0
    waited_s: float = 0.0


def paced(
    batches: Iterator[pa.RecordBatch],
    max_rows_per_second: int | None,
    pace: Pace | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[pa.RecordBatch]:
    """`batches`, read no faster than `max_rows_per_second` on average (None: as they come).

    Args:
        batches: the source's record batches.
        max_rows_per_second: the limit (rows per second, > 0), or None.
        pace: filled with the rows read and the seconds waited.
        clock: monotonic seconds.
        sleep: waits the given seconds.
    """
    pace = pace if pace is not None else Pace()
    if max_rows_per_second is None:
        for batch in batches:
            pace.rows += batch.num_rows
            yield batch
        return
    started = clock()
    for batch in batches:
        pace.rows += batch.num_rows
        yield batch
        wait = started + pace.rows / max_rows_per_second - clock()
        if wait > 0:
            pace.waited_s += wait
            sleep(wait)
