"""Builders shared by the state, health, checklist and report tests (this file has no tests).

A small DuckDB warehouse with the tables of docs/CONTRACTS.md, clients and load summaries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from upflux_etl.catalog.models import DUCKDB_TYPES, CanonicalModel, ClientSpec, SourceSpec
from upflux_etl.catalog.reader import read_canonical
from upflux_etl.settings import project_root
from upflux_etl.state import RunRecord

ZONE = "America/Sao_Paulo"


def canonical() -> CanonicalModel:
    """The project's canonical model."""
    return read_canonical(project_root())


def make_client(slug: str = "hosp_a", **overrides: Any) -> ClientSpec:
    """A client as the loader would return it."""
    values: dict[str, Any] = {
        "name": "Hospital São Lucas",
        "timezone": ZONE,
        "segment": "professional",
        "cs_owner": "ana.souza",
        "sources": {"erp": SourceSpec(profile="hospitalis", url="sqlite:///erp.sqlite")},
        "indicators": ["occupancy_rate", "door_to_triage"],
        "slug": slug,
    }
    values.update(overrides)
    return ClientSpec(**values)


def make_warehouse(
    path: Path, model: CanonicalModel, zone: str = ZONE
) -> duckdb.DuckDBPyConnection:
    """A warehouse file with every table of the contracts, empty, TimeZone set to `zone`."""
    con = duckdb.connect(str(path))
    con.execute(f"set TimeZone = '{zone}'")
    for schema in ("quarantine", "held", "meta"):
        con.execute(f"create schema if not exists {schema}")
    for name, spec in model.datasets.items():
        cols = [f'"{c}" {DUCKDB_TYPES[s.type]}' for c, s in spec.columns.items()]
        extra = [f'"{c}_code" VARCHAR' for c, s in spec.columns.items() if s.map]
        extra += [f'"{c}_valid" BOOLEAN' for c, s in spec.columns.items() if s.validate_]
        con.execute(f'create table main."{name}" ({", ".join(cols + extra)}, _load_id VARCHAR)')
        con.execute(
            f'create table quarantine."{name}" ({", ".join(cols + extra)}, '
            "_load_id VARCHAR, _reasons VARCHAR[])"
        )
        con.execute(f'create table held."{name}" ({", ".join(cols + extra)}, _load_id VARCHAR)')
    con.execute(
        "create table meta.loads (load_id VARCHAR, client VARCHAR, mode VARCHAR, "
        "started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, status VARCHAR)"
    )
    con.execute(
        "create table meta.ledger (load_id VARCHAR, dataset VARCHAR, extracted BIGINT, "
        "published BIGINT, quarantined BIGINT, held BIGINT, duration_s DOUBLE)"
    )
    con.execute(
        "create table meta.check_results (load_id VARCHAR, dataset VARCHAR, check_name VARCHAR, "
        "level VARCHAR, blocking BOOLEAN, passed BOOLEAN, failing_count BIGINT, "
        "element_count BIGINT, description VARCHAR, fix_hint VARCHAR)"
    )
    con.execute(
        "create table meta.indicator_values (load_id VARCHAR, indicator VARCHAR, period DATE, "
        "dimensions VARCHAR, measure VARCHAR, value DOUBLE, unit VARCHAR)"
    )
    con.execute(
        "create table meta.watermarks (dataset VARCHAR, column_name VARCHAR, value VARCHAR)"
    )
    con.execute(
        "create table meta.publication (version UUID, published_at TIMESTAMPTZ, load_id VARCHAR)"
    )
    return con


def ledger(**datasets: tuple[int, int, int, int]) -> dict[str, dict[str, int]]:
    """`ledger(encounters=(10, 8, 2, 0))` -> {dataset: {extracted, published, quarantined,
    held}}."""
    keys = ("extracted", "published", "quarantined", "held")
    # The source counted as many rows as were extracted (what a full load of a still source sees).
    return {
        name: {
            **dict(zip(keys, counts, strict=True)),
            "source_count": counts[0],
            "warehouse_count": sum(counts[1:]),
        }
        for name, counts in datasets.items()
    }


def make_run(
    load_id: str,
    ended_at: datetime,
    *,
    client: str = "hosp_a",
    status: str = "published",
    books: dict[str, dict[str, int]] | None = None,
    checks: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> RunRecord:
    """A load summary that ended at `ended_at` and took ten minutes."""
    return RunRecord(
        client=client,
        load_id=load_id,
        run_id=f"run-{load_id}",
        started_at=ended_at - timedelta(minutes=10),
        finished_at=ended_at,
        status=status,
        mode=fields.pop("mode", "incremental"),
        connection_ok=fields.pop("connection_ok", True),
        ledger=ledger(encounters=(100, 100, 0, 0)) if books is None else books,
        checks=checks or [],
        **fields,
    )


def utc(*args: int) -> datetime:
    """A UTC instant."""
    return datetime(*args, tzinfo=UTC)
