"""Vectorised pseudonymisation and CPF/CNS check digits of one Arrow column, in memory.

HMAC-SHA256 is computed by DuckDB's `sha256` over the whole column in one statement
(HMAC = H(K ^ opad || H(K ^ ipad || m)), RFC 2104), on an in-memory connection that may not
spill (`temp_directory` empty): clear values never reach disk. Normalisation (strip, digits
only) and the check digits are SQL over ASCII values; the rare non-ASCII value (a Unicode
space or digit, whose Python meaning SQL does not share) takes the per-value Python path, so
every output stays byte-identical to `pii.pseudonymise` and the `identifiers` validators
(tests/unit/test_pii_golden.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_BLOCK = 64  # SHA-256's block size in bytes
# Python's str.strip() on ASCII: these characters are whitespace (\x1c-\x1f included).
_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_HEX_CHARS = 32
_PART_ROWS = 25_000  # a 100,000-row batch hashed on two cores in half the time (measured)


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (a key over 64 bytes is hashed first)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def protect_column(
    values: pa.Array | pa.ChunkedArray,
    key: bytes,
    *,
    validate: str | None,
    fallback: Callable[[list], tuple[list, list | None]],
) -> tuple[pa.Array, pa.Array | None]:
    """Pseudonyms (32 hex chars, null for null or blank) and, with `validate`, validity flags.

    Args:
        values: the clear column (strings; other types go through `fallback`).
        key: the HMAC key.
        validate: "cpf", "cns" or None; when set, the value is reduced to its digits first.
        fallback: the per-value code for values SQL cannot mirror exactly: takes the clear
            values, returns (pseudonyms, flags or None).

    Returns:
        (pseudonyms as string, validity flags as bool or None without `validate`).
    """
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        hashed, flags = fallback(array.to_pylist())
        return pa.array(hashed, pa.string()), _flags(flags)
    array = array.cast(pa.string())
    hashed, flags = _sql(array, key, validate)
    non_ascii = pc.invert(pc.fill_null(pc.string_is_ascii(array), True))
    if pc.any(non_ascii).as_py():
        clear = pc.filter(array, non_ascii).to_pylist()
        slow_hashed, slow_flags = fallback(clear)
        hashed = pc.replace_with_mask(hashed, non_ascii, pa.array(slow_hashed, pa.string()))
        if flags is not None and slow_flags is not None:
            flags = pc.replace_with_mask(flags, non_ascii, pa.array(slow_flags, pa.bool_()))
    return hashed, flags


def _flags(flags: list | None) -> pa.Array | None:
    return None if flags is None else pa.array(flags, pa.bool_())


def _sql(array: pa.Array, key: bytes, validate: str | None) -> tuple[pa.Array, pa.Array | None]:
    inner, outer = hmac_pads(key)
    text = "regexp_replace(s, '[^0-9]', '', 'g')" if validate else "s"
    flag = f"case when s <> '' then {_VALIDITY[validate]} end" if validate else "null"
    sql = (
        f"select case when d <> '' then left(sha256($outer || unhex(sha256($inner || encode(d)))), "
        f"{_HEX_CHARS}) end as h, {flag} as ok "
        f"from (select i, s, {text} as d from (select i, trim(v, $spaces) as s from clear)) "
        "order by i"
    )
    con = duckdb.connect(config={"temp_directory": ""})  # nothing clear may spill to disk
    try:
        # In parts: DuckDB scans an Arrow table's batches on all its threads (one 100,000-row
        # batch is one thread's work); their order is not kept then, so each value carries its
        # position `i` and the result is ordered by it.
        clear = pa.table({"i": pa.array(np.arange(len(array), dtype=np.int64)), "v": array})
        parts = clear.to_batches(max_chunksize=_PART_ROWS)  # none for an empty batch
        con.register("clear", pa.Table.from_batches(parts, schema=clear.schema))
        params = {"inner": inner, "outer": outer, "spaces": _ASCII_SPACE}
        result = con.sql(sql, params=params).to_arrow_table()
    finally:
        con.close()
    hashed = result.column("h").combine_chunks().cast(pa.string())
    flags = result.column("ok").combine_chunks().cast(pa.bool_()) if validate else None
    return hashed, flags


# Check digits on `d`, the value's ASCII digits (see identifiers.cpf_is_valid / cns_is_valid);
# sums written out term by term (a list lambda per row is several times slower).
def _digit(position: int) -> str:
    return f"(ascii(substr(d, {position}, 1)) - 48)"


def _weighted(weights: range) -> str:
    return " + ".join(f"{_digit(i + 1)} * {w}" for i, w in enumerate(weights))


_CPF_DV1 = f"(({_weighted(range(10, 1, -1))}) * 10 % 11) % 10"
_CPF_DV2 = f"(({_weighted(range(11, 2, -1))} + {_CPF_DV1} * 2) * 10 % 11) % 10"
_VALIDITY = {
    "cpf": (
        "coalesce(length(d) = 11 and d <> repeat(left(d, 1), 11) "
        f"and {_digit(10)} = {_CPF_DV1} and {_digit(11)} = {_CPF_DV2}, false)"
    ),
    "cns": (
        "coalesce(length(d) = 15 and left(d, 1) in ('1', '2', '7', '8', '9') "
        f"and ({_weighted(range(15, 0, -1))}) % 11 = 0, false)"
    ),
}
