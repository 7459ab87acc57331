"""Pseudonyms are byte-identical to the per-row HMAC code they replaced: no patient is re-keyed.

`tests/golden/pseudonyms.json` was computed with the per-row code before vectorisation
(commit 541f13c) and is never regenerated.
"""

import json
from pathlib import Path

import pyarrow as pa

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.extract.pii import protect_batch, pseudonymise

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "pseudonyms.json").read_text())
KEY = GOLDEN["key"].encode()


def _spec() -> DatasetSpec:
    return DatasetSpec.model_validate(
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


def _batch() -> pa.RecordBatch:
    inputs = GOLDEN["inputs"]
    rows = len(inputs["patient_key"])
    return pa.RecordBatch.from_pydict({"record_id": [str(i) for i in range(rows)], **inputs})


def test_protect_batch_matches_the_golden_pseudonyms_and_flags():
    out = protect_batch(_batch(), _spec(), KEY)
    assert out.schema.names == GOLDEN["names"]
    assert out.to_pydict() == GOLDEN["output"]


def test_protect_batch_matches_the_golden_on_large_string_and_sliced_batches():
    batch = _batch()
    large = pa.RecordBatch.from_arrays(
        [c.cast(pa.large_string()) for c in batch.columns], names=batch.schema.names
    )
    assert protect_batch(large, _spec(), KEY).to_pydict() == GOLDEN["output"]
    sliced = protect_batch(batch.slice(3, 5), _spec(), KEY).to_pydict()
    assert sliced == {k: v[3:8] for k, v in GOLDEN["output"].items()}


def test_pseudonymise_matches_the_golden_on_integers():
    assert pseudonymise(GOLDEN["int_inputs"], KEY) == GOLDEN["int_output"]
