"""The warehouse's schemas and the DDL of its `meta` tables.

See docs/CONTRACTS.md, "The warehouse"; `warehouse/meta/` is the only code that reads or
writes those tables.
"""

from __future__ import annotations

import duckdb

META_DDL = """
create schema if not exists quarantine;
create schema if not exists held;
create schema if not exists meta;
create table if not exists meta.loads (
    load_id varchar primary key, client varchar, mode varchar, started_at timestamptz,
    finished_at timestamptz, status varchar, base_version varchar);
create table if not exists meta.ledger (
    load_id varchar, dataset varchar, extracted bigint, published bigint, quarantined bigint,
    held bigint, duration_s double, primary key (load_id, dataset));
create table if not exists meta.check_results (
    load_id varchar, dataset varchar, check_name varchar, level varchar, blocking boolean,
    passed boolean, failing_count bigint, element_count bigint, description varchar,
    fix_hint varchar, error varchar, expectation_type varchar);
-- Warehouses published before the column existed.
alter table meta.check_results add column if not exists expectation_type varchar;
-- Check statuses (passed/failed/not_applicable/error) and a dataset-level check's figures;
-- rows written before them read their status from passed/error.
alter table meta.check_results add column if not exists status varchar;
alter table meta.check_results add column if not exists observed double;
alter table meta.check_results add column if not exists expected varchar;
create table if not exists meta.indicator_values (
    load_id varchar, indicator varchar, period date, dimensions varchar, measure varchar,
    value double, unit varchar);
create table if not exists meta.indicator_coverage (
    load_id varchar, indicator varchar, period date, rows bigint, covered bigint);
create table if not exists meta.indicator_runs (
    load_id varchar, indicator varchar, definition varchar, recomputed varchar, reason varchar,
    months date[], from_month date);
create table if not exists meta.watermarks (
    dataset varchar primary key, column_name varchar, value varchar);
create table if not exists meta.publication (
    version varchar, published_at timestamptz, load_id varchar);
create table if not exists meta.quarantine_resolved (
    load_id varchar, dataset varchar, record_key varchar, reasons varchar[],
    first_seen_load varchar, first_seen_at timestamptz, resolution varchar,
    resolved_at timestamptz);
create table if not exists meta.corrections_applied (
    load_id varchar, dataset varchar, correction varchar, rows_changed bigint, status varchar);
create table if not exists meta.reconciliation (
    load_id varchar, dataset varchar, source_count bigint, source_excluded bigint,
    published bigint, quarantine_open bigint, held bigint, superseded bigint,
    warehouse_count bigint, tombstoned bigint, tombstones bigint, deletes_scanned boolean,
    matched boolean, error varchar, checked_at timestamptz, primary key (load_id, dataset));
create table if not exists meta.tombstones (
    dataset varchar, "key" varchar, load_id varchar, detected_at timestamptz);
create table if not exists meta.delete_scans (
    dataset varchar, load_id varchar, scanned_at timestamptz, source_keys bigint,
    tombstoned bigint, compared varchar);
create table if not exists meta.schema_version (version integer, migrated_at timestamptz);
create table if not exists meta.source_sessions (
    load_id varchar, source varchar, dataset varchar, purpose varchar, attempt integer,
    started_at timestamptz, seconds double, rows_read bigint, outcome varchar, reason varchar);
create table if not exists meta.history (
    since date, period varchar, number integer, total integer, period_start date,
    period_end date, load_id varchar, published_at timestamptz);
create table if not exists meta.source_columns (
    load_id varchar, source varchar, table_name varchar, column_name varchar,
    column_type varchar);
"""

# The version of the warehouse this code writes. Version 1 is every warehouse written before
# `meta.schema_version` existed (commit 541f13c and earlier). Additive changes (a table, a
# column) go into `META_DDL` with `if not exists`; a change that must transform data goes into
# `MIGRATIONS` under the version it leads to. Bump `SCHEMA_VERSION` with either.
SCHEMA_VERSION = 9
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 1 -> 2: meta.indicator_coverage and meta.schema_version (both in META_DDL); nothing to
    # transform.
    2: (),
    # 2 -> 3: meta.quarantine_resolved and meta.corrections_applied (in META_DDL). The
    # quarantine tables gain their lifecycle columns when a load first stages their dataset
    # (`warehouse/quarantine.py`: rebuilding `_source` needs the canonical model).
    # 2 -> 3: meta.reconciliation, meta.tombstones, meta.delete_scans, meta.source_sessions
    # and meta.source_columns; meta.check_results status, observed, expected (all in
    # META_DDL); older rows keep a null status, read as derived from passed/error.
    3: (),
    # 3 -> 4: meta.indicator_runs (in META_DDL): which months each load recomputed. A warehouse
    # without it recomputes every month on its next load.
    4: (),
    # 4 -> 5: meta.history, the published periods of a historical load (in META_DDL).
    5: (),
    # 5 -> 6: the scratch schemas leave the warehouse (`warehouse/work.py`: a load's landing and
    # staging tables live in a database of their own); they were emptied at each publication.
    6: ("drop schema if exists landing cascade", "drop schema if exists staging cascade"),
    # 6 -> 7: meta.delete_scans.compared, "keys" (every key) or "buckets" (counts per bucket
    # of the key, the keys of differing buckets only); every earlier scan compared every key.
    7: (
        "alter table meta.delete_scans add column if not exists compared varchar",
        "update meta.delete_scans set compared = 'keys' where compared is null",
    ),
    # 7 -> 8: datasets kept as Parquet parts (`warehouse/parts.py`: meta.parts, meta.storage,
    # the schemas `shape` and `removed`, created by `parts.ensure_parts`). A dataset's plain
    # table in `main` becomes its first part on the dataset's next load, which knows its key.
    8: (),
    # 8 -> 9: a dataset's removed rows are recorded by their position in their part's file,
    # not by key (`removed."<ds>"` becomes (_part, _row)); `parts.ensure_parts` converts them
    # when a load opens its build, since it reads the parts' files.
    9: (),
}


class WarehouseTooNew(RuntimeError):
    """The warehouse was written by a newer version of UpFlux ETL than this one."""


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The warehouse's schema version (1 before it was recorded; None for an empty file)."""
    tables = {
        (schema, name)
        for schema, name in con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name = 'meta'"
        ).fetchall()
    }
    if ("meta", "schema_version") in tables:
        row = con.execute("select max(version) from meta.schema_version").fetchall()
        if row and row[0][0] is not None:
            return int(row[0][0])
    return 1 if ("meta", "loads") in tables else None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the warehouse's schemas and meta tables where missing; migrate an older one.

    Raises:
        WarehouseTooNew: the file was written by a newer version (never downgraded).
    """
    found = schema_version(con)
    if found is not None and found > SCHEMA_VERSION:
        raise WarehouseTooNew(
            f"the warehouse has schema version {found}, newer than this UpFlux ETL's "
            f"({SCHEMA_VERSION}): upgrade UpFlux ETL before loading it"
        )
    con.execute(META_DDL)
    for version in range(found or SCHEMA_VERSION, SCHEMA_VERSION):
        for statement in MIGRATIONS[version + 1]:
            con.execute(statement)
    if found != SCHEMA_VERSION:
        con.execute(
            "insert into meta.schema_version values (?, current_timestamp)", [SCHEMA_VERSION]
        )
