"""Column arrays -> Arrow tables typed by the schema, and per-backend physical forms."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from hospitalis_demo.schema import Table, kind
from hospitalis_demo.timeline import NAT


def _money(cents: np.ndarray) -> pa.Array:
    """Exact ``decimal128(14, 2)`` from integer cents (``NAT`` or negative sentinel = null)."""
    cents = np.asarray(cents, dtype=np.int64)
    null = cents == NAT
    values = np.where(null, 0, cents)
    words = np.column_stack([values, np.where(values < 0, -1, 0)]).astype(np.int64)
    validity = pa.array(~null).buffers()[1] if null.any() else None
    return pa.Array.from_buffers(
        pa.decimal128(14, 2),
        len(cents),
        [validity, pa.py_buffer(words.tobytes())],
        null_count=int(null.sum()),
    )


def _column(values, logical: str) -> pa.Array:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.cast(pa.string()) if kind(logical) == "text" else values
    values = np.asarray(values)
    k = kind(logical)
    if k == "text":
        return pa.array(values, pa.string(), from_pandas=True)
    if k == "money":
        return _money(values)
    null = values == NAT
    arrow_type = {
        "int": pa.int64(),
        "ts": pa.timestamp("s"),
        "date": pa.date32(),
        "time": pa.time32("s"),
    }[k]
    raw = np.where(null, 0, values).astype(np.int32 if k in ("date", "time") else np.int64)
    return pa.array(raw, arrow_type, mask=null if null.any() else None)


def to_arrow(table: Table, cols: dict) -> pa.Table:
    """The logical Arrow table for ``table`` from column arrays.

    Integers, timestamps (epoch seconds), dates (days), times (seconds of day) and money
    (cents) use ``NAT`` for null; text uses ``None``.
    """
    missing = [name for name, _ in table.columns if name not in cols]
    if missing:
        raise KeyError(f"{table.name}: missing columns {missing}")
    return pa.table({name: _column(cols[name], logical) for name, logical in table.columns})


def for_backend(data: pa.Table, backend: str) -> pa.Table:
    """The physical form a backend stores: ISO text for SQLite, native types elsewhere."""
    columns = []
    for field, column in zip(data.schema, data.columns, strict=True):
        t = field.type
        if backend in ("sqlite", "mysql") and (
            pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t)
        ):
            column = column.cast(pa.string())
        elif backend == "sqlite" and pa.types.is_decimal(t):
            column = column.cast(pa.float64())
        elif backend == "mysql" and pa.types.is_decimal(t):
            column = column.cast(pa.string())
        elif pa.types.is_timestamp(t):
            column = column.cast(pa.timestamp("us"))
        elif pa.types.is_time(t):
            column = column.cast(pa.time64("us"))
        columns.append(column)
    return pa.table(columns, names=data.column_names)
