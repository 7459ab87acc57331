from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.warehouse.parts import ensure_parts
from upflux_etl.warehouse.schema import ensure_schema
from upflux_etl.warehouse.split import split_load
from upflux_etl.warehouse.staging import land, landing_columns, register_mappings, staged_sql
from upflux_etl.warehouse.work import attach_work

SPEC = DatasetSpec.model_validate(
    {
        "name": "visits",
        "description": "x",
        "primary_key": ["visit_id"],
        "incremental_column": "updated_at",
        "columns": {
            "visit_id": {"type": "string", "required": True},
            "arrived_at": {"type": "timestamp"},
            "amount": {"type": "decimal"},
            "colour": {"type": "string", "map": "triage_colour"},
            "updated_at": {"type": "timestamp"},
        },
    }
)


def staged(rows: dict, mappings=None, parts_root: Path | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'America/Manaus'")
    ensure_schema(con)
    if parts_root is not None:
        ensure_parts(con, parts_root)
    attach_work(con)
    land(con, "visits", [pa.RecordBatch.from_pydict(rows)])
    mappings = mappings if mappings is not None else {"triage_colour": {"1": "red", "2": "green"}}
    register_mappings(con, mappings)
    sql = staged_sql(SPEC, landing_columns(con, "visits"), "America/Manaus", set(mappings))
    con.execute(f"create table staging.visits as {sql}")
    return con


ROWS = {
    "visit_id": ["a", "b", "c"],
    "arrived_at": ["2026-03-01 23:30:00", "ontem", None],
    "amount": ["10.50", "x", "3"],
    "colour": ["1", " 2 ", "9"],
    "updated_at": ["2026-03-02 00:00:00"] * 3,
}


def test_garbage_becomes_null_with_a_flag_not_a_crash():
    con = staged(ROWS)
    got = con.execute(
        'select visit_id, arrived_at is null, "_arrived_at_unparseable", "_amount_unparseable" from staging.visits order by 1'
    ).fetchall()
    assert got == [("a", False, False, False), ("b", True, True, True), ("c", True, False, False)]


def test_local_wall_time_is_read_in_the_hospitals_zone():
    con = staged(ROWS)
    # 23:30 in Manaus (UTC-4) is 03:30 UTC the next day; the local day stays March 1st.
    utc, day = con.execute(
        "select arrived_at at time zone 'UTC', cast(arrived_at as date) from staging.visits where visit_id = 'a'"
    ).fetchone()
    assert str(utc) == "2026-03-02 03:30:00" and str(day) == "2026-03-01"


def test_codes_are_mapped_and_unmapped_ones_flagged():
    con = staged(ROWS)
    got = con.execute(
        'select colour, colour_code, "_colour_unmapped" from staging.visits order by visit_id'
    ).fetchall()
    assert got == [("red", "1", False), ("green", " 2 ", False), (None, "9", True)]


def test_split_keeps_every_row_and_holds_on_blocking_failure(tmp_path):
    con = staged(ROWS, parts_root=tmp_path)
    ledger = split_load(
        con, SPEC, load_id="L1", full=True, quarantine={2: ("amount_parseable",)}, hold=False
    )
    assert (ledger.extracted, ledger.published, ledger.quarantined, ledger.held) == (3, 2, 1, 0)
    reasons = con.execute("select visit_id, _reasons from quarantine.visits").fetchall()
    assert reasons == [("b", ["amount_parseable"])]
    held = split_load(con, SPEC, load_id="L2", full=True, quarantine={}, hold=True)
    assert (held.published, held.quarantined, held.held) == (0, 0, 3)
    # the previous publication stays when a load is held
    assert con.execute("select count(*) from main.visits where _load_id = 'L1'").fetchone()[0] == 2


def test_incremental_merge_replaces_by_key_and_releases_fixed_rows(tmp_path):
    con = staged(ROWS, parts_root=tmp_path)
    split_load(
        con, SPEC, load_id="L1", full=True, quarantine={2: ("amount_parseable",)}, hold=False
    )
    fixed = {k: [v[1]] for k, v in ROWS.items()} | {
        "amount": ["7"],
        "arrived_at": ["2026-03-01 10:00:00"],
    }
    con.execute("drop table staging.visits")
    land(con, "visits", [pa.RecordBatch.from_pydict(fixed)])
    sql = staged_sql(SPEC, landing_columns(con, "visits"), "America/Manaus", {"triage_colour"})
    con.execute(f"create table staging.visits as {sql}")
    ledger = split_load(con, SPEC, load_id="L2", full=False, quarantine={}, hold=False)
    assert ledger.published == 1
    assert con.execute("select count(*) from quarantine.visits").fetchone()[0] == 0
    assert sorted(r[0] for r in con.execute("select visit_id from main.visits").fetchall()) == [
        "a",
        "b",
        "c",
    ]


def test_a_source_failure_mid_stream_surfaces_as_itself_and_lands_nothing():
    from upflux_etl.extract.errors import SourceError

    con = duckdb.connect()
    ensure_schema(con)
    attach_work(con)

    def batches():
        yield pa.RecordBatch.from_pydict({"a": [1, 2]})
        raise SourceError("postgresql://erp: connection lost")

    with pytest.raises(SourceError, match="connection lost"):
        land(con, "visits", batches())
    assert con.execute(
        "select count(*) from information_schema.tables where table_name = 'visits'"
    ).fetchall() == [(0,)]


def test_batches_are_conformed_to_the_first_schema():
    con = duckdb.connect()
    ensure_schema(con)
    attach_work(con)
    first = pa.RecordBatch.from_pydict({"a": pa.array([None, None], pa.null()), "b": [1, 2]})
    later = pa.RecordBatch.from_pydict({"a": ["x"], "b": pa.array([3], pa.int32())})
    assert land(con, "t", [first, later]) == 3
    assert con.execute("select a, b from landing.t order by b").fetchall() == [
        (None, 1),
        (None, 2),
        ("x", 3),
    ]
