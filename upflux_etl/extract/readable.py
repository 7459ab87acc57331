"""Values no database type can hold, flagged in the stream: a quarantined row, not a crash.

NUL bytes, text that is not valid in its encoding (bytes the driver could not decode arrive
as U+FFFD, or as raw bytes), and MySQL/MariaDB "zero dates" (`0000-00-00`). Each flagged
row gets a reason in the `_unreadable` column naming the column and the problem, never its
value; the generated `values_readable` check quarantines it (catalog/checks.py).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

UNREADABLE = "_unreadable"
# The generated check that quarantines rows with a reason in UNREADABLE.
READABLE_CHECK = "values_readable"

REASON_NUL = "byte NUL no texto"
REASON_ENCODING = "texto com codificação inválida"
REASON_ZERO_DATE = "data zerada (0000-00-00)"


def flag_unreadable(batch: pa.RecordBatch) -> pa.RecordBatch:
    """`batch` with raw bytes decoded as UTF-8 text and an `_unreadable` reason per row.

    A value that is not valid UTF-8 becomes null (its row carries the reason).
    """
    reasons: dict[int, list[str]] = {}  # row -> its problems (rare: no per-row list otherwise)
    arrays, names = [], []
    for name, array in zip(batch.schema.names, batch.columns, strict=True):
        if name == UNREADABLE:
            continue
        if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
            array = _decoded(array, name, reasons)
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            _flag(array, pc.match_substring(array, "\x00"), f"{name}: {REASON_NUL}", reasons)
            _flag(array, pc.match_substring(array, "\ufffd"), f"{name}: {REASON_ENCODING}", reasons)
            _flag(
                array, pc.starts_with(array, "0000-00-00"), f"{name}: {REASON_ZERO_DATE}", reasons
            )
        arrays.append(array)
        names.append(name)
    if reasons:
        texts = ["; ".join(reasons[i]) if i in reasons else None for i in range(batch.num_rows)]
        column = pa.array(texts, pa.string())
    else:  # the usual batch: no list of a hundred thousand Nones to build
        column = pa.nulls(batch.num_rows, pa.string())
    return pa.RecordBatch.from_arrays([*arrays, column], names=[*names, UNREADABLE])


def _flag(array: pa.Array, mask: pa.Array, reason: str, reasons: dict[int, list[str]]) -> None:
    hits = pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
    for i in hits:
        reasons.setdefault(i, []).append(reason)


def _decoded(array: pa.Array, name: str, reasons: dict[int, list[str]]) -> pa.Array:
    out: list[str | None] = []
    for i, value in enumerate(array.to_pylist()):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(None)
            reasons.setdefault(i, []).append(f"{name}: {REASON_ENCODING}")
    return pa.array(out, pa.string())
