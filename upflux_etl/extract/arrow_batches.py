"""Driver rows and driver batches as Arrow record batches of a bounded size."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa


def rows_to_batches(
    names: list[str], chunks: Iterable[Sequence[Sequence]]
) -> Iterator[pa.RecordBatch]:
    """Arrow batches (every column text) from chunks of DB-API rows.

    One empty batch with the columns when there are no rows, so the warehouse still learns the
    query's columns.
    """
    empty = True
    for rows in chunks:
        empty = False
        columns = list(zip(*rows, strict=True))
        yield pa.RecordBatch.from_arrays([_to_arrow(col) for col in columns], names=names)
    if empty:
        yield pa.RecordBatch.from_pylist([], schema=pa.schema([(n, pa.string()) for n in names]))


def rebatch(reader: pa.RecordBatchReader, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The reader's batches cut to at most `batch_rows` rows.

    One empty batch with the columns when there are no rows.
    """
    empty = True
    for batch in reader:
        for start in range(0, batch.num_rows, batch_rows):
            empty = False
            yield batch.slice(start, batch_rows)
    if empty:  # the warehouse still learns the query's columns
        yield pa.RecordBatch.from_pylist([], schema=reader.schema)


def _to_arrow(values) -> pa.Array:
    # Driver types vary by family and by batch (an all-null batch has no type): values that
    # are not plain numbers or strings travel as ISO text and are typed in the warehouse.
    def text(v):
        if v is None or isinstance(v, str):
            return v
        if isinstance(v, dt.datetime | dt.date | dt.time):
            return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
        if isinstance(v, decimal.Decimal | float | int | bool):
            return str(v)
        if isinstance(v, bytes | bytearray):
            return v.decode("utf-8", "replace")
        return str(v)

    return pa.array([text(v) for v in values], pa.string())
