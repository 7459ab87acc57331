"""Declared corrections applied to a staged dataset: the ETL's answer, visible in the report.

"Do we fix it in the ETL or ask the client?" A client-file rule (`corrections:`) says which
rows of a dataset, what change, why, who asked and until when; it is applied after staging
and before the checks, on every load until its date (then it stops and is shown as expired).
Each load records, per rule, how many rows it changed (`warehouse/meta/corrections.py`).
"""

from __future__ import annotations

import duckdb

from upflux_etl.catalog.corrections import condition_sql
from upflux_etl.catalog.models import DUCKDB_TYPES, CorrectionSpec, DatasetSpec
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.warehouse.meta.corrections import AppliedCorrection, write_corrections


def apply_corrections(
    con: duckdb.DuckDBPyConnection, ctx: LoadContext, spec: DatasetSpec
) -> list[AppliedCorrection]:
    """Apply the client's live corrections of `spec` to `staging.<dataset>`; record each."""
    today = ctx.now.astimezone(ctx.client.zone).date()
    applied = []
    for rule in ctx.client.corrections:
        if rule.dataset != spec.name:
            continue
        if rule.until < today:
            applied.append(AppliedCorrection(spec.name, rule.id, 0, "expired"))
            continue
        changed = _apply(con, spec, rule)
        applied.append(AppliedCorrection(spec.name, rule.id, changed, "applied"))
    write_corrections(con, ctx.run_id, spec.name, applied)
    return applied


def _apply(con: duckdb.DuckDBPyConnection, spec: DatasetSpec, rule: CorrectionSpec) -> int:
    flags = _staged_flags(con, spec.name)
    sets: list[str] = []
    params: list[object] = []
    for column, value in rule.set_.items():
        sets.append(f'"{column}" = cast(? as {DUCKDB_TYPES[spec.columns[column].type]})')
        params.append(None if value is None else str(value))
        # The value is now the canonical one: no longer unmapped or unparseable.
        sets += [
            f'"{f}" = false'
            for f in (f"_{column}_unmapped", f"_{column}_unparseable")
            if f in flags
        ]
    if rule.keys is not None:
        key = spec.primary_key[0]
        where = f'cast("{key}" as varchar) in (select unnest(?::varchar[]))'
        params.append(rule.keys)
    else:
        where = f"({condition_sql(rule.where or 'false')})"
    rows = con.execute(
        f'update staging."{spec.name}" set {", ".join(sets)} where {where}', params
    ).fetchall()
    return int(rows[0][0]) if rows else 0


def _staged_flags(con: duckdb.DuckDBPyConnection, dataset: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'staging' and table_name = ?",
        [dataset],
    ).fetchall()
    return {r[0] for r in rows if r[0].startswith("_")}
