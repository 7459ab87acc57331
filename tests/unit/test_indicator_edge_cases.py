"""Each indicator's edge cases on a hand-built warehouse, against values computed by hand.

The tables are the canonical datasets (empty but for the rows a test inserts); timestamps carry
explicit offsets, so a test reads the same whatever machine runs it. The hospital's zone is
America/Sao_Paulo, which had daylight saving until 2019: 2018-11-04 00:00 did not exist (the
day had 23 hours) and 2019-02-16 23:00-23:59 happened twice (25 hours).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import pytest

from upflux_etl.catalog.models import DUCKDB_TYPES, TriageSpec
from upflux_etl.catalog.reader import Catalog, read_catalog
from upflux_etl.indicators.compute import (
    compute_coverage,
    compute_indicator,
    create_macros,
    register_parameters,
)
from upflux_etl.settings import Settings

ZONE = "America/Sao_Paulo"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return read_catalog(Settings.from_env({}))


@pytest.fixture
def con(catalog: Catalog) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse with every canonical dataset, empty, in the hospital's zone."""
    con = duckdb.connect()
    con.execute("set TimeZone = ?", [ZONE])
    for name, dataset in catalog.canonical.datasets.items():
        columns = ", ".join(f'"{c}" {DUCKDB_TYPES[s.type]}' for c, s in dataset.columns.items())
        con.execute(f'create table main."{name}" ({columns})')
    yield con
    con.close()


def insert(con: duckdb.DuckDBPyConnection, dataset: str, *rows: dict) -> None:
    """Rows given as dicts of column -> SQL literal text (or None); other columns are null."""
    for row in rows:
        columns = ", ".join(f'"{c}"' for c in row)
        values = ", ".join("null" if v is None else v for v in row.values())
        con.execute(f'insert into main."{dataset}" ({columns}) values ({values})')


def values(con, catalog: Catalog, name: str, triage: TriageSpec | None = None) -> dict:
    """{(period, dimensions, measure): value} of one indicator (null values left out)."""
    create_macros(con, catalog.macros)
    register_parameters(con, triage or TriageSpec())
    table = compute_indicator(con, catalog.indicators[name])
    return {
        (str(r["period"]), json.dumps(json.loads(r["dimensions"]), sort_keys=True), r["measure"]): (
            r["value"]
        )
        for r in table.to_pylist()
        if r["value"] is not None
    }


def ts(text: str) -> str:
    return f"timestamptz '{text}'"


def stay(
    encounter: str,
    admitted: str,
    discharged: str | None,
    kind: str | None = "alta",
    *,
    patient: str = "p1",
    character: str = "urgent",
) -> dict:
    return {
        "encounter_id": f"'{encounter}'",
        "patient_key": f"'{patient}'",
        "encounter_type": "'inpatient'",
        "status": "'active'",
        "admission_character": f"'{character}'",
        "admitted_at": ts(admitted),
        "discharged_at": ts(discharged) if discharged else None,
        "discharge_type": f"'{kind}'" if kind and discharged else None,
    }


def bed(
    bed_id: str, status: str, valid_from: str, valid_to: str | None = None, unit: str = "uti"
) -> dict:
    return {
        "bed_id": f"'{bed_id}'",
        "unit_code": f"'{unit}'",
        "status": f"'{status}'",
        "valid_from": ts(valid_from),
        "valid_to": ts(valid_to) if valid_to else None,
    }


def test_length_of_stay_reports_a_month_with_census_days_and_no_discharge(con, catalog):
    # Admitted 2024-01-30 10:00, still there on 2024-02-29 and discharged 2024-03-02 08:00:
    # January has 2 patient-days (30, 31), February 29, March 1 (the midnight closing 1 March);
    # the same-day stay of 2024-03-01 adds one. February has census days and no saida.
    insert(
        con,
        "encounters",
        stay("e1", "2024-01-30 10:00-03", "2024-03-02 08:00-03"),
        stay("e2", "2024-03-01 09:00-03", "2024-03-01 18:00-03", patient="p2"),
    )
    got = values(con, catalog, "average_length_of_stay")
    assert got[("2024-02-01", "{}", "patient_days")] == 29
    assert got[("2024-02-01", "{}", "saidas")] == 0
    assert ("2024-02-01", "{}", "value") not in got  # no saida: no value, the month still shown
    assert got[("2024-01-01", "{}", "patient_days")] == 2
    # March: e1 present at the midnight closing 1 March (1) + e2 same-day (1); the census runs
    # to the last admission date (1 March), 2 saidas.
    assert got[("2024-03-01", "{}", "patient_days")] == 2
    assert got[("2024-03-01", "{}", "value")] == pytest.approx(1.0)


def test_occupancy_leaves_blocked_beds_out_and_counts_extra_beds_only_when_occupied(con, catalog):
    insert(
        con,
        "encounters",
        stay("e1", "2024-05-01 08:00-03", "2024-05-03 08:00-03"),
        stay("e2", "2024-05-03 07:00-03", None, patient="p2"),
    )
    insert(
        con,
        "beds",
        bed("b1", "operational", "2024-01-01 00:00-03"),
        bed("b2", "blocked", "2024-01-01 00:00-03", unit="enfermaria"),
        bed("x1", "extra", "2024-01-01 00:00-03"),
    )
    insert(
        con,
        "bed_movements",
        {
            "movement_id": "'m1'",
            "encounter_id": "'e1'",
            "bed_id": "'b1'",
            "unit_code": "'uti'",
            "started_at": ts("2024-05-01 08:00-03"),
            "ended_at": ts("2024-05-03 08:00-03"),
        },
        {
            "movement_id": "'m2'",
            "encounter_id": "'e2'",
            "bed_id": "'x1'",
            "unit_code": "'uti'",
            "started_at": ts("2024-05-03 07:00-03"),
        },
    )
    # Census days 1-3 May. Patient-days: 1 (e1), 2 (e1), 3 (e2) = 3. Bed-days: b1 on each day
    # (3), x1 only on 3 May (occupied at the midnight closing it), b2 never: 4.
    got = values(con, catalog, "occupancy_rate")
    assert got[("2024-05-01", "{}", "value")] == pytest.approx(100.0 * 3 / 4)
    # Per unit: the UTI's beds occupied at the census (3) over its bed-days (4); the ward has
    # only a blocked bed: no bed-days, no value.
    assert got[("2024-05-01", '{"unit": "uti"}', "value")] == pytest.approx(100.0 * 3 / 4)
    assert not [k for k in got if "enfermaria" in k[1]]
    # Bed turnover: 1 saida / (4 bed-days / 3 days).
    turnover = values(con, catalog, "bed_turnover")
    assert turnover[("2024-05-01", "{}", "value")] == pytest.approx(1 / (4 / 3))


def test_mortality_counts_a_death_at_exactly_24_hours_as_institutional(con, catalog):
    insert(
        con,
        "encounters",
        stay("e1", "2024-06-01 10:00-03", "2024-06-02 10:00-03", "obito"),
        stay("e2", "2024-06-01 10:00-03", "2024-06-02 09:59-03", "obito", patient="p2"),
        stay("e3", "2024-06-01 10:00-03", "2024-06-05 10:00-03", "alta", patient="p3"),
        stay(
            "e4",
            "2024-06-01 10:00-03",
            "2024-06-05 10:00-03",
            "transferencia_externa",
            patient="p4",
        ),
    )
    got = values(con, catalog, "mortality_rate")
    assert got[("2024-06-01", '{"scope": "geral"}', "value")] == pytest.approx(50.0)
    assert got[("2024-06-01", '{"scope": "institucional"}', "value")] == pytest.approx(25.0)


def test_readmission_chains_windows_and_elective_admissions(con, catalog):
    insert(
        con,
        "encounters",
        # p1: discharged 10 Jan; urgent readmission 20 Jan (counts for e1); discharged 25 Jan;
        # urgent readmission exactly 30 x 24 h later (counts for e2); that stay ends in a death.
        stay("e1", "2024-01-01 10:00-03", "2024-01-10 10:00-03"),
        stay("e2", "2024-01-20 10:00-03", "2024-01-25 10:00-03"),
        stay("e3", "2024-02-24 10:00-03", "2024-02-26 10:00-03", "obito"),
        # p2: an elective readmission within 30 days does not count; an urgent one 30 days and
        # one minute after the discharge does not either.
        stay("f1", "2024-01-02 10:00-03", "2024-01-05 10:00-03", patient="p2"),
        stay(
            "f2", "2024-01-15 10:00-03", "2024-01-16 10:00-03", patient="p2", character="elective"
        ),
        stay("f3", "2024-02-15 10:01-03", "2024-02-20 10:00-03", patient="p2"),
    )
    got = values(con, catalog, "readmission_30d")
    # January: index discharges e1, e2, f1, f2 (alive); readmitted: e1 (by e2), e2 (by e3).
    # f2's next urgent admission f3 is 30 days and one minute later: not a readmission.
    assert got[("2024-01-01", "{}", "discharges")] == 4
    assert got[("2024-01-01", "{}", "readmissions")] == 2
    assert got[("2024-01-01", "{}", "value")] == pytest.approx(50.0)
    # February: f3 is an index (alive), e3 a death is not.
    assert got[("2024-02-01", "{}", "discharges")] == 1
    assert got[("2024-02-01", "{}", "readmissions")] == 0


def er_visit(encounter: str, arrived: str, **times: str | None) -> dict:
    row = {"encounter_id": f"'{encounter}'", "arrived_at": ts(arrived)}
    for column, value in times.items():
        if column == "triage_colour":
            row[column] = f"'{value}'"
        else:
            row[column] = ts(value) if value else None
    return row


def test_triage_to_doctor_per_colour_with_the_clients_targets(con, catalog):
    insert(
        con,
        "er_visits",
        # yellow within 60 min (45), yellow outside (75), orange seen before the triage ended
        # (-2 min: within), a colour the protocol has no target for (left out of the share).
        er_visit(
            "a",
            "2024-03-01 10:00-03",
            triage_ended_at="2024-03-01 10:05-03",
            first_medical_contact_at="2024-03-01 10:50-03",
            triage_colour="yellow",
        ),
        er_visit(
            "b",
            "2024-03-01 11:00-03",
            triage_ended_at="2024-03-01 11:05-03",
            first_medical_contact_at="2024-03-01 12:20-03",
            triage_colour="yellow",
        ),
        er_visit(
            "c",
            "2024-03-01 12:00-03",
            triage_ended_at="2024-03-01 12:10-03",
            first_medical_contact_at="2024-03-01 12:08-03",
            triage_colour="orange",
        ),
        er_visit(
            "d",
            "2024-03-01 13:00-03",
            triage_ended_at="2024-03-01 13:05-03",
            first_medical_contact_at="2024-03-01 13:35-03",
            triage_colour="white",
        ),
    )
    targets = TriageSpec(protocol="manchester", targets_minutes={"yellow": 60, "orange": 10})
    got = values(con, catalog, "triage_to_doctor", targets)
    assert got[("2024-03-01", '{"colour": "yellow"}', "p50")] == pytest.approx(60.0)
    assert got[("2024-03-01", '{"colour": "yellow"}', "within_target")] == pytest.approx(50.0)
    assert got[("2024-03-01", '{"colour": "orange"}', "p50")] == pytest.approx(-2.0)
    assert got[("2024-03-01", '{"colour": "orange"}', "within_target")] == pytest.approx(100.0)
    assert ("2024-03-01", '{"colour": "white"}', "within_target") not in got
    # Overall: waits 45, 75, -2, 30; within: 2 of the 3 with a target.
    assert got[("2024-03-01", "{}", "p50")] == pytest.approx((30 + 45) / 2)
    assert got[("2024-03-01", "{}", "within_target")] == pytest.approx(100.0 * 2 / 3)


def test_periods_are_cut_in_the_hospitals_zone_across_daylight_saving(con, catalog):
    insert(
        con,
        "er_visits",
        # 2018-10-31 23:30 in Sao Paulo is 2018-11-01 02:30 UTC: an October arrival.
        er_visit("oct", "2018-10-31 23:30-03", left_at="2018-11-01 00:30-03"),
        # Arrived 2018-11-03 23:00 (-03), left 2018-11-04 02:00 (-02): two real hours, on the
        # night of 23 hours (the clock jumped from 00:00 to 01:00).
        er_visit("gap", "2018-11-03 23:00-03", left_at="2018-11-04 02:00-02"),
        # 2019-02-16 23:30 happened twice; the second time (-03) arrival, left 00:30 (-03):
        # one hour.
        er_visit("fold", "2019-02-16 23:30-03", left_at="2019-02-17 00:30-03"),
    )
    got = values(con, catalog, "er_length_of_stay")
    assert got[("2018-10-01", "{}", "p50")] == pytest.approx(60.0)
    assert got[("2018-11-01", "{}", "p50")] == pytest.approx(120.0)
    assert got[("2019-02-01", "{}", "p50")] == pytest.approx(60.0)


def test_census_counts_the_day_of_23_hours_once(con, catalog):
    # A stay over the night the clock jumped (2018-11-04 00:00 did not exist): present at the
    # census closing 3 November and at the one closing 4 November, discharged 5 November.
    insert(con, "encounters", stay("e1", "2018-11-03 10:00-03", "2018-11-05 10:00-02"))
    got = values(con, catalog, "average_length_of_stay")
    assert got[("2018-11-01", "{}", "patient_days")] == 1  # census runs to the last admission
    insert(con, "encounters", stay("e2", "2018-11-05 09:00-02", None, patient="p2"))
    got = values(con, catalog, "average_length_of_stay")
    # Census days 3, 4, 5 November: e1 at the midnights closing 3 and 4 (2), e2 on the 5th (1).
    assert got[("2018-11-01", "{}", "patient_days")] == 3


def surgery(surgery_id: str, status: str, scheduled: str, in_room=None, out_of_room=None) -> dict:
    return {
        "surgery_id": f"'{surgery_id}'",
        "room_id": "'1'",
        "status": f"'{status}'",
        "scheduled_start": ts(scheduled),
        "in_room_at": ts(in_room) if in_room else None,
        "out_of_room_at": ts(out_of_room) if out_of_room else None,
    }


def test_surgery_cancellation_and_room_use_past_closing_time(con, catalog):
    insert(con, "encounters", stay("e1", "2024-04-02 08:00-03", None))
    insert(
        con,
        "surgery_rooms",
        {
            "room_id": "'1'",
            "valid_from": "date '2024-01-01'",
            "opens_at": "time '07:00'",
            "closes_at": "time '19:00'",
        },
    )
    insert(
        con,
        "surgeries",
        # used 18:00-21:00: three hours, past closing time, counted whole.
        surgery(
            "s1", "realizada", "2024-04-01 18:00-03", "2024-04-01 18:00-03", "2024-04-01 21:00-03"
        ),
        surgery("s2", "cancelada", "2024-04-02 08:00-03"),
    )
    cancellation = values(con, catalog, "surgery_cancellation")
    assert cancellation[("2024-04-01", "{}", "value")] == pytest.approx(50.0)
    # Open days 1-2 April (first booking to the last admission date): 2 x 12 h = 1440 min.
    occupancy = values(con, catalog, "room_occupancy")
    assert occupancy[("2024-04-01", "{}", "value")] == pytest.approx(100.0 * 180 / 1440)


def account(account_id: str, billed: str | None, amount: str, denied: str | None, reason=None):
    return {
        "account_id": f"'{account_id}'",
        "encounter_id": f"'{account_id}'",
        "billed_at": ts(billed) if billed else None,
        "amount_billed": amount,
        "amount_denied": denied,
        "denial_reason": f"'{reason}'" if reason is not None else None,
    }


def test_denial_rate_and_its_pareto_and_the_billing_lag(con, catalog):
    insert(
        con,
        "encounters",
        stay("a1", "2024-07-01 08:00-03", "2024-07-03 08:00-03"),
        stay("a2", "2024-07-01 08:00-03", "2024-07-05 08:00-03", patient="p2"),
        stay("a3", "2024-07-01 08:00-03", None, patient="p3"),
    )
    insert(
        con,
        "billing",
        account("a1", "2024-07-13 08:00-03", "1000.00", "100.00", "1801"),
        account("a2", "2024-07-25 08:00-03", "500.00", "50.00", ""),
        account("a3", "2024-07-30 08:00-03", "500.00", None),
        account("a4", None, "900.00", "900.00", "1801"),  # not sent: left out
    )
    got = values(con, catalog, "denial_rate")
    assert got[("2024-07-01", "{}", "value")] == pytest.approx(100.0 * 150 / 2000)
    assert got[("2024-07-01", '{"reason": "1801"}', "share")] == pytest.approx(100.0 * 100 / 150)
    assert got[("2024-07-01", '{"reason": "sem_codigo"}', "denied")] == pytest.approx(50.0)
    lag = values(con, catalog, "billing_lag")
    # a1: 10 days, a2: 20 days; a3 has no discharge.
    assert lag[("2024-07-01", "{}", "p50")] == pytest.approx(15.0)


def test_coverage_is_the_share_of_rows_with_the_fields_an_indicator_reads(con, catalog):
    insert(
        con,
        "er_visits",
        er_visit("a", "2024-03-01 10:00-03", left_at="2024-03-01 11:00-03"),
        er_visit("b", "2024-03-02 10:00-03"),
    )
    table = compute_coverage(con, catalog.indicators["er_length_of_stay"]).to_pylist()
    assert [(str(r["period"]), r["rows"], r["covered"]) for r in table] == [("2024-03-01", 2, 1)]
