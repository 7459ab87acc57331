"""Landing of protected batches, and the typed staging of a dataset.

Landing keeps the columns as the source sent them (already pseudonymised). Staging casts
them to the canonical types with `try_cast`, so a garbage value becomes a flagged row,
never a crashed load, and maps ERP codes to canonical values through the client's mappings.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

from upflux_etl.catalog.models import DUCKDB_TYPES, DatasetSpec
from upflux_etl.warehouse.files import scalar


class DatasetError(RuntimeError):
    """A dataset's query returned something the canonical model cannot take."""


def land(con: duckdb.DuckDBPyConnection, dataset: str, batches: Iterable[pa.RecordBatch]) -> int:
    """Write protected batches to `landing.<dataset>` (replacing it); returns the row count."""
    con.execute(f'drop table if exists landing."{dataset}"')
    rows = 0
    for batch in batches:
        table = pa.Table.from_batches([_no_null_types(batch)])
        con.register("_batch", table)
        try:
            if rows == 0 and not _exists(con, dataset):
                con.execute(f'create table landing."{dataset}" as select * from _batch')
            else:
                con.execute(f'insert into landing."{dataset}" by name select * from _batch')
        finally:
            con.unregister("_batch")
        rows += batch.num_rows
    return rows


def landing_columns(con: duckdb.DuckDBPyConnection, dataset: str) -> dict[str, str]:
    """Column name -> DuckDB type of `landing.<dataset>`."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'landing' and table_name = ? order by ordinal_position",
        [dataset],
    ).fetchall()
    return dict(rows)


def check_columns(spec: DatasetSpec, landed: dict[str, str], query_name: str) -> None:
    """The query must return every canonical column and nothing else."""
    expected = set(spec.columns) | {f"{c}_valid" for c, s in spec.columns.items() if s.validate_}
    missing = [c for c in spec.columns if c not in landed]
    extra = [c for c in landed if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing columns {missing}")
        if extra:
            parts.append(f"columns not in the canonical model {extra}")
        raise DatasetError(f"dataset {spec.name}: query {query_name} returns {'; '.join(parts)}")


def load_mappings(con: duckdb.DuckDBPyConnection, mappings: dict[str, dict[str, str]]) -> None:
    """One temporary table `_map_<kind>(code, value)` per mapping kind."""
    for kind, codes in mappings.items():
        con.execute(
            f'create or replace temp table "_map_{kind}" (code varchar primary key, value varchar)'
        )
        if codes:
            con.executemany(
                f'insert into "_map_{kind}" values (?, ?)',
                [[str(k).strip(), v] for k, v in codes.items()],
            )


def staged_sql(
    spec: DatasetSpec, landed: dict[str, str], timezone: str, mapped_kinds: set[str]
) -> str:
    """The select that types, maps and flags `landing.<dataset>` (pure: text in, text out)."""
    selects, joins = [], []
    for name, col in spec.columns.items():
        src = f'l."{name}"'
        if col.map:
            alias = f"m_{name}"
            table = (
                f'"_map_{col.map}"'
                if col.map in mapped_kinds
                else "(select null::varchar as code, null::varchar as value)"
            )
            joins.append(
                f"left join {table} as {alias} on {alias}.code = trim(cast({src} as varchar))"
            )
            selects += [
                f'{alias}.value as "{name}"',
                f'cast({src} as varchar) as "{name}_code"',
                f'({src} is not null and {alias}.value is null) as "_{name}_unmapped"',
            ]
            continue
        typed = _typed(src, col.type, landed.get(name, "VARCHAR"), timezone)
        selects.append(f'{typed} as "{name}"')
        if col.type != "string":
            selects.append(f'({src} is not null and {typed} is null) as "_{name}_unparseable"')
        if col.validate_:
            selects.append(f'l."{name}_valid" as "{name}_valid"')
    body = ",\n    ".join(["row_number() over () as _row_id", *selects])
    return f'select\n    {body}\nfrom landing."{spec.name}" as l\n' + "\n".join(joins)


def _typed(src: str, kind: str, landed_type: str, timezone: str) -> str:
    tz = timezone.replace("'", "")
    if kind == "string":
        return f"cast({src} as varchar)"
    if kind == "timestamp":
        if landed_type.startswith("TIMESTAMP WITH TIME ZONE"):
            return src
        # ERP timestamps are the hospital's wall time: interpret them in its zone.
        return f"timezone('{tz}', try_cast({src} as timestamp))"
    return f"try_cast({src} as {DUCKDB_TYPES[kind]})"


def _exists(con: duckdb.DuckDBPyConnection, dataset: str) -> bool:
    return bool(
        scalar(
            con,
            "select count(*) from information_schema.tables where table_schema = 'landing' and table_name = ?",
            [dataset],
        )
    )


def _no_null_types(batch: pa.RecordBatch) -> pa.RecordBatch:
    # An all-null column has Arrow type null; land it as text so later batches fit.
    if not any(pa.types.is_null(f.type) for f in batch.schema):
        return batch
    arrays = [a.cast(pa.string()) if pa.types.is_null(a.type) else a for a in batch.columns]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)
