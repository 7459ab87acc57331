"""The warehouse's schemas and the DDL of its `meta` tables.

See docs/CONTRACTS.md, "The warehouse"; `warehouse/meta/` is the only code that reads or
writes those tables.
"""

from __future__ import annotations

import duckdb

META_DDL = """
create schema if not exists quarantine;
create schema if not exists held;
create schema if not exists landing;
create schema if not exists staging;
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
create table if not exists meta.indicator_values (
    load_id varchar, indicator varchar, period date, dimensions varchar, measure varchar,
    value double, unit varchar);
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
"""


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the warehouse's schemas and meta tables where missing."""
    con.execute(META_DDL)
