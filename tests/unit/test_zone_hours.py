"""Wall times read through the table of wall hours equal ICU's reading, value for value.

Every 11 minutes of a year around real transitions, in zones with and without daylight
saving, under every `local_times` rule, as text and as timestamps, with garbage, nulls,
infinity and a formatted column: the staged rows (values and reasons) are the same with and
without `zone_hours` (warehouse/local_time.py).
"""

import duckdb
import pyarrow as pa
import pytest

from upflux_etl.catalog.client_options import LocalTimes
from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.warehouse.staging import land, landing_columns, staged_sql, zone_hours_table
from upflux_etl.warehouse.work import attach_work

SPEC = DatasetSpec.model_validate(
    {
        "name": "times",
        "description": "x",
        "primary_key": ["id"],
        "incremental_column": "at",
        "columns": {
            "id": {"type": "integer", "required": True},
            "at": {"type": "timestamp"},
            "written": {"type": "timestamp"},
        },
    }
)
RULES = [
    LocalTimes(),
    LocalTimes(nonexistent="shift_forward", ambiguous="earlier"),
    LocalTimes(nonexistent="quarantine", ambiguous="quarantine"),
]
ODD = [
    "ontem",
    "",
    "infinity",
    "-infinity",
    "1900-01-01 00:00:00",
    "9999-12-31 23:59:59",
    "294247-01-09 23:30:00",  # near the end of DuckDB's range: no arithmetic there
    None,
]


def test_a_row_per_hour_even_with_one_column():
    con = duckdb.connect()
    attach_work(con)
    land(con, "times", [pa.RecordBatch.from_pydict({"id": [1, 2], "at": ["2018-10-01 08:00"] * 2})])
    spec = SPEC.model_copy(update={"columns": {k: SPEC.columns[k] for k in ("id", "at")}})
    assert zone_hours_table(con, spec, landing_columns(con, "times"), "America/Sao_Paulo")
    assert con.execute("select count(*) from _zone_hours").fetchone() == (1,)
    staged = staged_sql(
        spec, landing_columns(con, "times"), "America/Sao_Paulo", set(), zone_hours=True
    )
    assert con.execute(f"select count(*) from ({staged})").fetchone() == (2,)


def _landed(zone: str, start: str, typed: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"set TimeZone = '{zone}'")
    attach_work(con)
    walls = con.execute(
        f"select strftime(timestamp '{start}' + to_minutes(i * 11) + to_microseconds(i % 997), "
        "'%Y-%m-%d %H:%M:%S.%f') from range(366 * 24 * 60 // 11) r(i)"
    ).fetchall()
    at = [w[0] for w in walls] + ODD
    rows = {
        "id": list(range(len(at))),
        "at": at,
        "written": [None if w is None else w[:16].replace("-", "/") for w in at],
    }
    batch = pa.RecordBatch.from_pydict(rows)
    if typed:  # landed as TIMESTAMP, as a database driver sends it (garbage as null)
        con.execute("create table _t as select * from batch")
        batch = (
            con.sql('select id, try_cast("at" as timestamp) as "at", written from _t')
            .to_arrow_table()
            .combine_chunks()
            .to_batches()[0]
        )
    land(con, "times", [batch])
    return con


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("America/New_York", "2020-06-01"),
        ("America/Sao_Paulo", "2017-06-01"),  # daylight saving until 2019, none after
        ("America/Manaus", "2020-06-01"),
        ("Europe/Lisbon", "2020-06-01"),
    ],
)
@pytest.mark.parametrize("typed", [False, True], ids=["text", "timestamp"])
def test_the_hour_table_reads_every_wall_time_as_icu_does(zone, start, typed):
    con = _landed(zone, start, typed)
    landed = landing_columns(con, "times")
    formats = {"written": "yyyy/mm/dd hh:mi"}
    assert zone_hours_table(con, SPEC, landed, zone, formats)
    for rule in RULES:
        slow, fast = (
            con.execute(
                staged_sql(
                    SPEC,
                    landed,
                    zone,
                    set(),
                    formats=formats,
                    local_times=rule,
                    zone_hours=hours,
                )
                + " order by _row_id"
            ).fetchall()
            for hours in (False, True)
        )
        assert len(fast) == len(slow) > 40_000
        assert fast == slow, (zone, rule)
    if not typed:  # garbage near the end of the range is unreadable, not a failed statement
        staged = staged_sql(SPEC, landed, zone, set(), formats=formats, zone_hours=True)
        far = con.execute(
            f'select "at", "_at_unparseable" from ({staged}) where id = ?',
            [len(fast) - len(ODD) + ODD.index("294247-01-09 23:30:00")],
        ).fetchone()
        assert far == (None, True)
    hours, distinct, irregular = con.execute(
        "select count(*), count(distinct hour), count(*) filter (where not regular) from _zone_hours"
    ).fetchone()
    assert hours == distinct
    has_dst = zone in ("America/New_York", "America/Sao_Paulo", "Europe/Lisbon")
    assert (irregular > 0) == has_dst
