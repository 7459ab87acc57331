"""Per-row HMAC (the reference) against the vectorised protection, on 1M patients.

Run: `.venv/bin/python bench/pseudonymise.py [rows]`; prints seconds for each path.
"""

import sys
import time

import pyarrow as pa

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.extract.pii import _protect_values, protect_batch

KEY = b"bench-key-0123456789abcdef"
BATCH_ROWS = 100_000  # sources' batch_rows default
SPEC = DatasetSpec.model_validate(
    {
        "name": "patients",
        "description": "x",
        "primary_key": ["record_id"],
        "incremental_column": "record_id",
        "columns": {
            "record_id": {"type": "string"},
            "patient_key": {"type": "string", "pii": "pseudonym"},
            "cpf": {"type": "string", "pii": "pseudonym", "validate": "cpf"},
            "cns": {"type": "string", "pii": "pseudonym", "validate": "cns"},
        },
    }
)


def main(rows: int) -> None:
    """Time both paths on `rows` synthetic patients."""
    batch = pa.RecordBatch.from_pydict(
        {
            "record_id": [str(i) for i in range(rows)],
            "patient_key": [f"PRONT-{i:09d}" for i in range(rows)],
            "cpf": [f"{i:03d}.{i % 1000:03d}.{i % 997:03d}-{i % 100:02d}" for i in range(rows)],
            "cns": [f"7{i:014d}" for i in range(rows)],
        }
    )
    started = time.perf_counter()
    for name in ("patient_key", "cpf", "cns"):
        validate = SPEC.columns[name].validate_
        _protect_values(batch.column(name).to_pylist(), KEY, validate)
    per_row = time.perf_counter() - started
    started = time.perf_counter()
    protect_batch(batch, SPEC, KEY)
    vectorised = time.perf_counter() - started
    started = time.perf_counter()
    for part in _parts(batch):
        protect_batch(part, SPEC, KEY)
    in_batches = time.perf_counter() - started
    sys.stdout.write(
        f"{rows:,} rows: per-row {per_row:.2f} s, vectorised {vectorised:.2f} s in one batch, "
        f"{in_batches:.2f} s in batches of {BATCH_ROWS:,} (an extraction's default)\n"
    )


def _parts(batch: pa.RecordBatch) -> list[pa.RecordBatch]:
    return [batch.slice(i, BATCH_ROWS) for i in range(0, batch.num_rows, BATCH_ROWS)]


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
