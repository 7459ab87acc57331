"""DuckDB's time-zone database and Python's zoneinfo agree on every Brazilian zone, 2000-2030.

Both cut periods: DuckDB cuts the indicators' days and months, Python the generator's truth,
the checklist's dates and the health score's. Where they disagreed (an older tz database in one
of them), a month's first instant would differ and an indicator would silently move rows
between months. Compared: the instant of every local midnight (what a day or month starts at,
including the midnights that did not exist when daylight saving began at 00:00) and the UTC
offset at every local noon.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import duckdb
import pytest

# Every IANA zone of Brazil (zone1970.tab, country code BR).
BRAZIL = [
    "America/Noronha",
    "America/Belem",
    "America/Fortaleza",
    "America/Recife",
    "America/Araguaina",
    "America/Maceio",
    "America/Bahia",
    "America/Sao_Paulo",
    "America/Campo_Grande",
    "America/Cuiaba",
    "America/Santarem",
    "America/Porto_Velho",
    "America/Boa_Vista",
    "America/Manaus",
    "America/Eirunepe",
    "America/Rio_Branco",
]
FIRST, LAST = dt.date(2000, 1, 1), dt.date(2030, 12, 31)


def python_instants(zone: str) -> tuple[list[int], list[int]]:
    """Epoch seconds of each local midnight, and the UTC offset (s) at each local noon."""
    tz = ZoneInfo(zone)
    midnights, offsets = [], []
    day = FIRST
    while day <= LAST:
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
        # A midnight that did not exist (fold=0) is read as zoneinfo does: with the offset
        # before the jump, i.e. the first instant of the day is 01:00 of the new offset.
        midnights.append(int(midnight.timestamp()))
        noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=tz)
        offsets.append(int(noon.utcoffset().total_seconds()))
        day += dt.timedelta(days=1)
    return midnights, offsets


def duckdb_instants(con: duckdb.DuckDBPyConnection, zone: str) -> tuple[list[int], list[int]]:
    """The same, from DuckDB: local dates cast to instants in the session's zone."""
    con.execute("set TimeZone = ?", [zone])
    rows = con.execute(
        """
        with days as (
            select
                cast(r.d as date) as day,
                cast(r.d as date) + interval 12 hours as noon
            from range(date '2000-01-01', date '2031-01-01', interval 1 day) as r (d)
        )
        select
            cast(epoch(cast(day as timestamptz)) as bigint),
            cast(epoch(noon) - epoch(cast(noon as timestamptz)) as bigint)
        from days
        order by day
        """
    ).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    yield con
    con.close()


@pytest.mark.parametrize("zone", BRAZIL)
def test_duckdb_and_zoneinfo_agree_on_midnights_and_offsets(con, zone):
    py_midnights, py_offsets = python_instants(zone)
    db_midnights, db_offsets = duckdb_instants(con, zone)
    days = [FIRST + dt.timedelta(days=i) for i in range(len(py_midnights))]
    wrong = [
        (str(day), p, d)
        for day, p, d in zip(days, py_midnights, db_midnights, strict=True)
        if p != d
    ]
    assert not wrong[:5], f"{zone}: local midnights differ (day, zoneinfo, duckdb)"
    wrong = [
        (str(day), p, d) for day, p, d in zip(days, py_offsets, db_offsets, strict=True) if p != d
    ]
    assert not wrong[:5], f"{zone}: UTC offsets at noon differ (day, zoneinfo, duckdb)"


def test_sao_paulo_had_days_of_23_and_25_hours_until_2019():
    tz = ZoneInfo("America/Sao_Paulo")
    start = dt.datetime(2018, 11, 4, tzinfo=tz)  # did not exist: read as 01:00 -02
    end = dt.datetime(2018, 11, 5, tzinfo=tz)
    assert (end.timestamp() - start.timestamp()) / 3600 == 23
    start, end = dt.datetime(2019, 2, 16, tzinfo=tz), dt.datetime(2019, 2, 17, tzinfo=tz)
    assert (end.timestamp() - start.timestamp()) / 3600 == 25
    # No daylight saving since: 2020 onwards every day has 24 hours.
    start, end = dt.datetime(2020, 11, 1, tzinfo=tz), dt.datetime(2020, 11, 2, tzinfo=tz)
    assert (end.timestamp() - start.timestamp()) / 3600 == 24
