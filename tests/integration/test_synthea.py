"""The worked example of docs/ONBOARDING.md: the Synthea export (a foreign schema, every column
text) in a real PostgreSQL schema and a real MariaDB database, onboarded by the client file
tests/fixtures/synthea/clients/synthea_ca.yaml alone (its queries and mappings, no profile,
no code), through to published datasets, indicators and a quality report."""

from __future__ import annotations

import pytest

from tests.dbservers import mariadb_url, postgres_url
from tests.support.onboarding import copy_client, ledger, report_html, run_client, warehouse_rows
from tests.support.synthea import CLIENT_DIR, synthea_mariadb, synthea_postgres, synthea_rows
from upflux_etl.settings import Settings


def _expected() -> dict[str, int]:
    _, patients = synthea_rows("patients")
    columns, encounters = synthea_rows("encounters")
    kind = columns.index("encounterclass")
    er = [e for e in encounters if e[kind] in ("emergency", "urgentcare")]
    columns, labs = synthea_rows("observations")
    enc, code, date = (columns.index(c) for c in ("encounter", "code", "date"))
    orders = {(r[enc], r[code], r[date]) for r in labs}
    _, imaging = synthea_rows("imaging_studies")
    return {
        "patients": len(patients),
        "encounters": len(encounters),
        "er_visits": len(er),
        "exams": len(orders) + len(imaging),
    }


@pytest.fixture(scope="module", params=["postgres", "mariadb"])
def synthea(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"synthea_{request.param}")
    (tmp / "clients").mkdir()
    url = postgres_url() if request.param == "postgres" else mariadb_url()
    loader = synthea_postgres if request.param == "postgres" else synthea_mariadb
    with pytest.MonkeyPatch.context() as mp, loader(url) as schema:
        mp.setenv("UPFLUX_CLIENTS_DIR", str(tmp / "clients"))
        mp.setenv("UPFLUX_DATA_DIR", str(tmp / "data"))
        mp.setenv("UPFLUX_PSEUDONYM_KEY", "synthea-key-" + "0" * 32)
        mp.setenv("UPFLUX_SYNTHEA_URL", url)
        settings = Settings.from_env()
        path = copy_client(settings, CLIENT_DIR / "synthea_ca.yaml", "synthea_ca", schema=schema)
        client, result = run_client(settings, path)
        yield settings, client, result


def test_the_load_succeeds(synthea):
    _, _, result = synthea
    assert result.success


def test_every_row_of_the_export_is_published_and_the_ledger_balances(synthea):
    settings, client, result = synthea
    found = ledger(settings, client, result.run_id)
    assert {ds: row[0] for ds, row in found.items()} == _expected()
    for ds, (extracted, published, quarantined, held) in found.items():
        assert extracted == published + quarantined + held, ds
        assert (quarantined, held) == (0, 0), ds


def test_utc_text_instants_are_read_as_instants(synthea):
    settings, client, _ = synthea
    # encounters.csv row 1: 33dc326d-..., START 2021-08-23T03:26:50Z (UTC).
    rows = warehouse_rows(
        settings,
        client,
        "select strftime(admitted_at at time zone 'UTC', '%Y-%m-%d %H:%M:%S') from encounters "
        "where encounter_id = '33dc326d-4b64-921b-4afe-6456415a2e78'",
    )
    assert rows == [("2021-08-23 03:26:50",)]


def test_codes_are_mapped_by_the_client_file(synthea):
    settings, client, _ = synthea
    types = dict(
        warehouse_rows(
            settings, client, "select encounter_type, count(*) from encounters group by 1"
        )
    )
    assert set(types) == {"inpatient", "emergency", "outpatient"}
    payers = {r[0] for r in warehouse_rows(settings, client, "select payer_type from encounters")}
    assert payers <= {"sus", "convenio", "particular", None}


def test_indicators_are_computed(synthea):
    settings, client, _ = synthea
    names = {
        r[0]
        for r in warehouse_rows(
            settings, client, "select distinct indicator from meta.indicator_values"
        )
    }
    assert names == {"exam_turnaround"}


def test_the_report_lists_the_clients_check_settings_with_their_reasons(synthea):
    settings, client, _ = synthea
    html = report_html(settings, client)
    assert "Ajustes de verificações deste hospital" in html
    assert "discharged_at_mostly_filled" in html and "desligada" in html
    assert "só atendimentos encerrados" in html
    assert "min_value = 0.9" in html
    assert "códigos próprios do hospital" in html  # code_systems.procedure: local


def test_switched_off_and_code_system_checks_are_not_run(synthea):
    settings, client, result = synthea
    ran = {
        (d, n)
        for d, n in warehouse_rows(
            settings,
            client,
            "select dataset, check_name from meta.check_results where load_id = ?",
            [result.run_id],
        )
    }
    assert ("encounters", "discharged_at_mostly_filled") not in ran
    assert ("exams", "exam_code_tuss_format") not in ran
    assert ("exams", "resulted_at_mostly_filled") in ran
