"""Patients the hospital excluded: dropped from every dataset, in the stream and the build.

The client file lists source patient ids (prontuarios). At each load they are pseudonymised
with the client's key, in memory; nothing of them is stored. Datasets with a `patient_key`
drop those pseudonyms; datasets keyed to an encounter drop the encounters of those patients,
found at the source by the encounters query (filtered there by the clear ids). Excluded rows
never reach the build; rows published before a patient was excluded are removed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.extract.pii import pseudonymise
from upflux_etl.extract.source import open_batches
from upflux_etl.extract.sql import values_query
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.files import has_table

log = logging.getLogger("upflux.pipeline")
PATIENT, ENCOUNTER = "patient_key", "encounter_id"


@dataclass(frozen=True)
class Exclusion:
    """The rows of one dataset to drop.

    Attributes:
        column: the column that ties a row to an excluded patient.
        stored: its values as the warehouse keeps them (pseudonyms, or encounter ids).
        at_source: its values as the source returns them (clear prontuarios, or encounter ids).
    """

    column: str
    stored: tuple[str, ...]
    at_source: tuple[str, ...]

    def filter(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The batches without the excluded rows (`column` already protected)."""
        values = pa.array(self.stored, pa.string())
        for batch in batches:
            if self.column not in batch.schema.names:
                yield batch
                continue
            hit = pc.is_in(pc.cast(batch.column(self.column), pa.string()), value_set=values)
            yield batch.filter(pc.invert(pc.fill_null(hit, False)))

    def remove_from_build(
        self, con: duckdb.DuckDBPyConnection, dataset: str, *, load_id: str
    ) -> int:
        """Delete the excluded rows from `main`, `quarantine` and `held`; returns how many.

        The published parts that held them are rewritten without them (`parts.remove`).
        """
        con.register("_excluded", pa.table({"v": pa.array(self.stored, pa.string())}))
        removed = 0
        try:
            excluded = f'cast(t."{self.column}" as varchar) in (select v from _excluded)'
            removed += parts.remove(con, dataset, excluded, erase_as=load_id)
            for schema in ("quarantine", "held"):
                if has_table(con, schema, dataset):
                    found = con.execute(
                        f'delete from {schema}."{dataset}" as t where {excluded}'
                    ).fetchall()
                    removed += int(found[0][0]) if found else 0
        finally:
            con.unregister("_excluded")
        return removed


def exclusion_for(ctx: LoadContext, spec: DatasetSpec) -> Exclusion | None:
    """What to drop from `spec` for the client's excluded patients (None: nothing)."""
    ids = ctx.client.privacy.excluded_ids
    if not ids:
        return None
    if PATIENT in spec.columns:
        return Exclusion(PATIENT, tuple(_pseudonyms(ctx, ids)), ids)
    if ENCOUNTER in spec.columns and ENCOUNTER in ctx.dataset("encounters").columns:
        encounters = excluded_encounters(ctx, ids)
        return Exclusion(ENCOUNTER, encounters, encounters)
    return None


def excluded_encounters(ctx: LoadContext, ids: tuple[str, ...]) -> tuple[str, ...]:
    """The encounter ids of the excluded patients, asked of the source (kept in memory)."""
    # Imported here: datasets.py imports this module.
    from upflux_etl.pipeline.datasets import query_text

    encounters = ctx.dataset("encounters")
    text = query_text(ctx, encounters)
    sql = values_query(text.sql, text.dialect, ENCOUNTER, PATIENT, ids, text.write)
    found: list[str] = []
    with open_batches(text.url, sql, schema=text.schema, batch_rows=text.batch_rows) as batches:
        for batch in batches:
            found += [str(v) for v in batch.column(0).to_pylist() if v is not None]
    return tuple(sorted(set(found)))


def _pseudonyms(ctx: LoadContext, ids: tuple[str, ...]) -> list[str]:
    return [p for p in pseudonymise(list(ids), ctx.pseudonym_key()) if p]
