"""Indicators' `periods`: validated against the canonical model; months a changed row reaches.

The months are found on a real DuckDB: a "published" warehouse attached to a "build" one, as
an incremental load's indicator step does (`indicators/periods.py`).
"""

from __future__ import annotations

import datetime as dt
import textwrap

import duckdb
import pytest

from upflux_etl.catalog.errors import Problems
from upflux_etl.catalog.reader import read_catalog, read_indicators
from upflux_etl.indicators.periods import (
    attach_published,
    changed_rows,
    detach_published,
    months_between,
    touched_months,
)
from upflux_etl.settings import Settings

HEAD = """
title: T
title_en: T
formula: f
unit: "%"
grain: hospital x mês
grains: [hospital, month]
direction: lower_is_better
depends_on: [encounters, billing]
coverage: {dataset: encounters, period_column: discharged_at, columns: [discharge_type]}
"""


@pytest.fixture(scope="module")
def catalog():
    return read_catalog(Settings.from_env({}))


def problems_of(tmp_path, catalog, periods: str) -> list[str]:
    folder = tmp_path / "assets" / "indicators"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "t.yaml").write_text(HEAD + textwrap.dedent(periods), encoding="utf-8")
    (folder / "t.sql").write_text("select 1", encoding="utf-8")
    problems = Problems()
    read_indicators(tmp_path, catalog.canonical, problems)
    return [str(p) for p in problems.items]


def test_every_shipped_indicator_declares_its_periods(catalog):
    assert len(catalog.indicators) == 13
    assert all(spec.periods is not None for spec in catalog.indicators.values())


def test_a_period_column_that_does_not_exist_is_named_with_its_field(tmp_path, catalog):
    found = problems_of(
        tmp_path, catalog, "periods:\n  rows:\n    - {dataset: encounters, columns: [left_at]}\n"
    )
    assert len(found) == 1
    assert "t.yaml" in found[0] and "periods.rows.0.columns.0" in found[0]
    assert "left_at" in found[0]


def test_a_period_dataset_outside_depends_on_and_a_bad_key_are_refused(tmp_path, catalog):
    found = problems_of(
        tmp_path, catalog, "periods:\n  rows:\n    - {dataset: exams, columns: [ordered_at]}\n"
    )
    assert "periods.rows.0.dataset" in found[0] and "depends_on" in found[0]
    found = problems_of(
        tmp_path,
        catalog,
        "periods:\n  rows:\n    - {dataset: encounters, through: billing, key: account_id,"
        " columns: [billed_at]}\n",
    )
    assert "periods.rows.0.key" in found[0] and "account_id" in found[0]


def test_months_between_counts_both_ends_in_either_order():
    assert months_between(dt.date(2026, 9, 30), dt.date(2026, 7, 1)) == {
        dt.date(2026, 7, 1),
        dt.date(2026, 8, 1),
        dt.date(2026, 9, 1),
    }


ENCOUNTERS = (
    "create table {db}.main.encounters (encounter_id varchar, encounter_type varchar, "
    "status varchar, admitted_at timestamptz, discharged_at timestamptz, _load_id varchar)"
)


def test_a_moved_stay_reaches_its_old_and_new_months_and_an_open_one_every_later_month(
    tmp_path, catalog
):
    published = tmp_path / "published.duckdb"
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    con.execute("set TimeZone = 'America/Sao_Paulo'")
    con.execute("create schema if not exists staging")
    attach = duckdb.connect(str(published))
    attach.execute(ENCOUNTERS.format(db="published"))
    attach.execute(
        "insert into encounters values "
        "('1', 'inpatient', 'active', '2026-03-10 10:00-03', '2026-03-12 10:00-03', 'a'), "
        "('2', 'inpatient', 'active', '2026-04-10 10:00-03', '2026-04-12 10:00-03', 'a'), "
        "('3', 'inpatient', 'active', '2026-05-10 10:00-03', '2026-05-12 10:00-03', 'a')"
    )
    attach.close()
    con.execute(ENCOUNTERS.format(db="build"))
    con.execute(
        "insert into encounters values "
        # 1 moved: discharged in May instead of March
        "('1', 'inpatient', 'active', '2026-03-10 10:00-03', '2026-05-02 10:00-03', 'b'), "
        # 2 extracted again unchanged (another load id): no change
        "('2', 'inpatient', 'active', '2026-04-10 10:00-03', '2026-04-12 10:00-03', 'b'), "
        # 3 deleted; 4 new and still open
        "('4', 'inpatient', 'active', '2026-06-30 23:30-03', null, 'b')"
    )
    spec = catalog.indicators["average_length_of_stay"]
    attach_published(con, str(published))
    try:
        changes = {"encounters": changed_rows(con, "encounters", ["encounter_id"], "b")}
        assert changes["encounters"] is not None
        touched = touched_months(con, spec, changes)
        readmission = touched_months(con, catalog.indicators["readmission_30d"], changes)
    finally:
        detach_published(con)
        con.close()
    # 1 before (March) and after (March to May), 3's May, 4 open from June (the census's last
    # day, 4's admission, moved from May to June: a bound)
    assert touched.months == {dt.date(2026, m, 1) for m in (3, 4, 5)}
    assert touched.open_from == dt.date(2026, 6, 1)
    # readmission: discharges of 1 (March, May) and 3 (May); admissions look back a month
    assert readmission.months == {dt.date(2026, m, 1) for m in (2, 3, 4, 5, 6)}
    assert readmission.open_from is None
