"""In-memory protection of personal data.

Check the batch's column names against the canonical dataset (`extract.columns`), validate
clear identifiers, then replace them by a keyed HMAC. Nothing here writes anywhere, and no
batch leaves `protect_batch` unchecked. `pseudonymise` is the per-value reference; batches go
through the vectorised `pii_vector.protect_column`, byte-identical to it.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import partial

import pyarrow as pa

from upflux_etl.catalog.models import MIN_KEY_LENGTH, DatasetSpec
from upflux_etl.extract.columns import canonical_names
from upflux_etl.extract.identifiers import cns_is_valid, cpf_is_valid
from upflux_etl.extract.pii_vector import protect_column

VALIDATORS = {"cpf": cpf_is_valid, "cns": cns_is_valid}


def pseudonym_key(raw: str) -> bytes:
    """The HMAC key bytes; refuses keys too short to be secret."""
    if len(raw) < MIN_KEY_LENGTH:
        raise ValueError(f"the pseudonymisation key must have at least {MIN_KEY_LENGTH} characters")
    return raw.encode()


# Domain separation: the fingerprint is an HMAC of this label, which no pseudonymised value
# (digits, an ERP id) can equal; it identifies the key without revealing it.
_FINGERPRINT_LABEL = b"upflux-etl/pseudonymisation-key-fingerprint/v1\x00"


def key_fingerprint(key: bytes) -> str:
    """A fingerprint of the HMAC key (32 hex characters): the same key, the same fingerprint."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:32]


def pseudonymise(values: list, key: bytes, normalise=str.strip) -> list:
    """HMAC-SHA256 (hex, 32 chars) of each non-null value; nulls stay null."""
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
        else:
            text = normalise(str(v))
            out.append(
                hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32] if text else None
            )
    return out


def protect_batch(
    batch: pa.RecordBatch, dataset: DatasetSpec, key: bytes, query_name: str = "the query"
) -> pa.RecordBatch:
    """Check the column names, validate `validate:` columns, pseudonymise every `pii:` column.

    Column names are normalised to the canonical model's (case, quotes, spaces) first, so a
    personal column is protected whatever case the driver returned it in.

    Returns:
        A new batch with canonical names, `<c>_valid` flags added and every clear identifier gone.

    Raises:
        extract.columns.ColumnError: a column is undeclared, duplicated or missing.
    """
    names = canonical_names(batch.schema.names, dataset, query_name)
    columns = dict(zip(names, batch.columns, strict=True))
    for name, spec in dataset.columns.items():
        if spec.pii != "pseudonym":
            continue
        hashed, flags = protect_column(
            columns[name],
            key,
            validate=spec.validate_,
            fallback=partial(_protect_values, key=key, validate=spec.validate_),
        )
        if flags is not None:
            columns[f"{name}_valid"] = flags
        columns[name] = hashed
    return pa.RecordBatch.from_arrays(list(columns.values()), names=list(columns))


def _protect_values(clear: list, key: bytes, validate: str | None) -> tuple[list, list | None]:
    """The per-value reference: what `protect_column` computes in SQL for ASCII text."""
    flags = None
    if validate:
        check = VALIDATORS[validate]
        flags = [None if v is None or not str(v).strip() else check(str(v)) for v in clear]
    normalise = _digits_only if validate else str.strip
    return pseudonymise(clear, key, normalise), flags


def _digits_only(text: str) -> str:
    # "123.456.789-09" and "12345678909" are the same person: hash the digits.
    return "".join(c for c in text if c.isdigit())
