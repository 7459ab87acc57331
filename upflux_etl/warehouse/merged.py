"""The dataset as a load will publish it, as a query: for dataset-level checks.

Published rows this load does not replace (by primary key; none on a full load) plus this
load's clean rows (staged rows whose `_row_id` is not in `_failing_rows`, which the caller
registers). Same rule as `split.split_load`, read without writing anything.

`merged_parts` gives the same rows as three disjoint parts (published, replaced, clean) whose
counts add up, so a count over the merged dataset needs no anti-join over the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.warehouse.files import has_table, table_columns
from upflux_etl.warehouse.quarantine import key_match
from upflux_etl.warehouse.split import published_columns

FAILING_ROWS = "_failing_rows"  # registered by quality.sql_suite: one `_row_id` column


@dataclass(frozen=True)
class MergedParts:
    """The merged dataset as counts: published - replaced + clean, each a `from` clause (`t`).

    Attributes:
        dataset: the dataset's name (its counters: `parts.live_counts`).
        published: every published row.
        replaced: the published rows this load replaces (by primary key).
        kept: the published rows this load does not replace.
        clean: this load's clean rows.
        columns: the columns the published table has (a count reading another cannot be
            taken on it).
    """

    dataset: str
    published: str
    replaced: str
    kept: str
    clean: str
    columns: frozenset[str]


def merged_parts(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, *, full: bool
) -> MergedParts | None:
    """The parts of an incremental load's merged dataset; None when it is the clean rows alone."""
    ds = spec.name
    if full or not has_table(con, "main", ds):
        return None
    keys = key_match(spec, "t")
    published = f'from main."{ds}" as t'
    return MergedParts(
        dataset=ds,
        published=published,
        replaced=f'{published} where exists (select 1 from staging."{ds}" as s where {keys})',
        # Explicit anti joins: a correlated `not exists` over the dataset's view (a union of
        # Parquet parts) is decorrelated by materialising every published row.
        kept=f'{published} anti join staging."{ds}" as s on {keys} where true',
        clean=f'from staging."{ds}" as t where t._row_id not in (select _row_id from {FAILING_ROWS})',
        columns=frozenset(table_columns(con, "main", ds)),
    )


def merged_query(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, parts: MergedParts | None
) -> str:
    """A parenthesised query of the dataset as published after this load (published columns).

    `parts`: `merged_parts`' (None: the clean rows alone).
    """
    ds = spec.name
    columns = published_columns(con, ds)
    staged = ", ".join(f's."{c}"' for c in columns)
    clean = (
        f'select {staged} from staging."{ds}" as s '
        f"where s._row_id not in (select _row_id from {FAILING_ROWS})"
    )
    if parts is None:
        return f"({clean})"
    old = ", ".join(f't."{c}"' for c in columns if c in parts.columns)
    keys = key_match(spec, "t")
    remaining = f'select {old} from main."{ds}" as t anti join staging."{ds}" as s on {keys}'
    return f"({remaining} union all by name {clean})"
