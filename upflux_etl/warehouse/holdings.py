"""What the build holds for one dataset now: the warehouse's side of the reconciliation."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.files import has_table, scalar


@dataclass(frozen=True)
class Holdings:
    """Rows of one dataset in the build: a record counted once whatever table holds it.

    Attributes:
        published: rows in `main`.
        quarantine_open: rows in `quarantine` (quarantined now, whatever load put them there).
        held: rows in `held` (the last load's rows a blocking check stopped).
        superseded: published rows whose key also has a quarantined or held row (that row is
            the record's newer version: the published one is not counted again).
    """

    published: int
    quarantine_open: int
    held: int
    superseded: int

    @property
    def total(self) -> int:
        """Published + quarantine_open + held - superseded."""
        return self.published + self.quarantine_open + self.held - self.superseded


def newer_key_rows(spec: DatasetSpec, present: list[str]) -> str:
    """SQL of the key columns of the dataset's quarantined and held rows; "" when neither.

    `present`: the schemas the build has the dataset in. A published row whose key is among
    them is superseded by that newer version.
    """
    cols = ", ".join(f'"{k}"' for k in spec.primary_key)
    newer = [s for s in ("quarantine", "held") if s in present]
    return " union all ".join(f'select {cols} from {s}."{spec.name}"' for s in newer)


def holdings(con: duckdb.DuckDBPyConnection, spec: DatasetSpec) -> Holdings:
    """Count the dataset's published, open-quarantine and held rows in the build."""
    ds = spec.name

    def rows(schema: str) -> int:
        if not has_table(con, schema, ds):
            return 0
        if schema == "main":
            return parts.count_rows(con, ds)
        return int(scalar(con, f'select count(*) from {schema}."{ds}"'))

    others = newer_key_rows(spec, [s for s in ("quarantine", "held") if has_table(con, s, ds)])
    superseded = 0
    if has_table(con, "main", ds) and others:
        match = " and ".join(f'n."{k}" = m."{k}"' for k in spec.primary_key)
        # An explicit semi join: `exists` over a union is planned as a mark join over every
        # published row (340 ms against 50 ms for 5.6M exams).
        superseded = int(
            scalar(
                con, f'select count(*) from main."{ds}" as m semi join ({others}) as n on {match}'
            )
        )
    return Holdings(rows("main"), rows("quarantine"), rows("held"), superseded)
