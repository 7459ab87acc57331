"""Onboarding by configuration on the real servers (issue 8).

PostgreSQL: a hospital group's database with views in the canonical layout for two
establishments; the `canonical` profile and an establishment filter load only the client's
own; a check switched off with its reason (dates shifted decades into the future) appears in
the report; ICD-10-CM codes pass under `code_systems.diagnosis: icd10cm`; an order typed in
the spring-forward gap stays before its result (`local_times.nonexistent: gap_end`).

MariaDB: a profile-free client whose inline queries run on two named sources; Brazilian
numbers and `dd/mm/yyyy hh:mi` dates are parsed; a NUL byte, bytes that are not text, a
`0000-00-00` date and values matching no declared format each quarantine their row with the
reason, never crash the load.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.dbservers import mariadb_url, postgres_url
from tests.support.databases import admin, mariadb_database, postgres_schema
from tests.support.onboarding import ledger, report_html, run_client, warehouse_rows, write_client
from upflux_etl.settings import Settings

OTHER_DATASETS = ["er_visits", "bed_movements", "beds", "surgeries", "surgery_rooms", "billing"]
SWITCH_OFF_REASON = "Base de pesquisa desidentificada: datas deslocadas décadas no futuro."


@pytest.fixture
def env(tmp_path, monkeypatch):
    (tmp_path / "clients").mkdir()
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(tmp_path / "clients"))
    monkeypatch.setenv("UPFLUX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY", "options-key-" + "0" * 32)
    return Settings.from_env()


# --- PostgreSQL: canonical views, two establishments ---------------------------------------

PG_DDL = """
create table upflux_patients (establishment_id int, record_id text, patient_key text,
    cpf text, cns text, birth_year int, birth_month int, sex text, city text, uf text,
    updated_at timestamp);
create table upflux_encounters (establishment_id int, encounter_id text, patient_key text,
    encounter_type text, status text, admission_character text, admitted_at timestamp,
    discharged_at timestamp, discharge_type text, unit_code text, cid10 text,
    payer_type text, updated_at timestamp);
create table upflux_exams (establishment_id int, order_id text, encounter_id text,
    exam_code text, exam_kind text, priority text, ordered_at timestamp,
    collected_at timestamp, resulted_at timestamp, released_at timestamp,
    updated_at timestamp);
insert into upflux_patients values
    (1, 'p1', 'P-1', null, null, 1980, 5, 'F', 'Campinas', 'SP', '2018-10-01 08:00'),
    (1, 'p2', 'P-2', null, null, 1975, 1, 'M', 'Campinas', 'SP', '2018-10-01 08:00'),
    (2, 'p9', 'P-9', null, null, 1990, 2, 'M', 'Sorocaba', 'SP', '2018-10-01 08:00');
insert into upflux_encounters values
    (1, 'e1', 'P-1', 'inpatient', 'active', 'urgent', '2061-05-01 09:00', null, null, null,
     'S72.001A', 'sus', '2061-05-01 09:00'),
    (1, 'e2', 'P-2', 'outpatient', 'active', null, '2018-11-03 23:00', null, null, null,
     'E11.65', 'convenio', '2018-11-04 02:00'),
    (1, 'e3', 'P-2', 'emergency', 'active', null, '2018-11-03 23:30', null, null, null,
     null, 'particular', '2018-11-04 02:00'),
    (2, 'e8', 'P-9', 'outpatient', 'active', null, '2018-11-03 10:00', null, null, null,
     null, 'sus', '2018-11-03 10:00'),
    (2, 'e9', 'P-9', 'outpatient', 'active', null, '2018-11-03 11:00', null, null, null,
     null, 'sus', '2018-11-03 11:00');
insert into upflux_exams values
    (1, 'x1', 'e1', '40304361', 'lab', 'routine', '2061-05-01 10:00', null,
     '2061-05-01 12:00', null, '2061-05-01 12:00'),
    -- ordered in the gap (00:00-01:00 did not exist that night), resulted at 01:10
    (1, 'x2', 'e2', '40304361', 'lab', 'urgent', '2018-11-04 00:30', null,
     '2018-11-04 01:10', null, '2018-11-04 01:10'),
    -- resulted in the gap
    (1, 'x3', 'e3', '40301630', 'lab', 'routine', '2018-11-03 23:50', null,
     '2018-11-04 00:20', null, '2018-11-04 00:20'),
    (2, 'x8', 'e8', '40304361', 'lab', 'routine', '2018-11-03 10:10', null, null, null,
     '2018-11-03 10:10'),
    (2, 'x9', 'e9', '40304361', 'lab', 'routine', '2018-11-03 11:10', null, null, null,
     '2018-11-03 11:10');
"""


@pytest.fixture
def group(env):
    url = postgres_url()
    with postgres_schema(url, "upflux_group") as schema:
        admin(url, f'set search_path to "{schema}"; {PG_DDL}')
        path = write_client(
            env,
            "grupo_unidade_1",
            {
                "name": "Grupo Hospitalar Exemplo — unidade 1",
                "timezone": "America/Sao_Paulo",
                "sources": {
                    "erp": {
                        "profile": "canonical",
                        "url": url,
                        "schema": schema,
                        "establishment": {"value": 1},
                    }
                },
                "datasets": {d: {"enabled": False} for d in OTHER_DATASETS},
                "checks": {
                    "exams": {
                        "ordered_at_not_in_future": {
                            "enabled": False,
                            "reason": SWITCH_OFF_REASON,
                        }
                    }
                },
                "code_systems": {"diagnosis": "icd10cm"},
            },
        )
        client, result = run_client(env, path)
        yield env, client, result


def test_the_establishment_filter_keeps_only_the_clients_establishment(group):
    settings, client, result = group
    assert result.success
    found = ledger(settings, client, result.run_id)
    assert found == {
        "patients": (2, 2, 0, 0),
        "encounters": (3, 3, 0, 0),
        "exams": (3, 3, 0, 0),
    }
    ids = {r[0] for r in warehouse_rows(settings, client, "select encounter_id from encounters")}
    assert ids == {"e1", "e2", "e3"}


def test_a_switched_off_check_is_not_run_and_the_report_gives_its_reason(group):
    settings, client, result = group
    ran = {
        r[0]
        for r in warehouse_rows(
            settings,
            client,
            "select check_name from meta.check_results where load_id = ? and dataset = 'exams'",
            [result.run_id],
        )
    }
    assert "ordered_at_not_in_future" not in ran and "result_after_order" in ran
    future = warehouse_rows(settings, client, "select order_id from exams where order_id = 'x1'")
    assert future == [("x1",)]  # published, not quarantined
    html = report_html(settings, client)
    assert "ordered_at_not_in_future" in html and SWITCH_OFF_REASON in html


def test_icd10cm_codes_pass_when_the_client_declares_them(group):
    settings, client, result = group
    failing = warehouse_rows(
        settings,
        client,
        "select failing_count from meta.check_results where load_id = ? and check_name = ?",
        [result.run_id, "cid10_format"],
    )
    assert failing == [(0,)]


def test_a_time_in_the_spring_forward_gap_is_read_as_the_gap_end(group):
    settings, client, _ = group
    rows = dict(
        warehouse_rows(
            settings,
            client,
            "select order_id, strftime(ordered_at, '%Y-%m-%d %H:%M') from exams "
            "where order_id in ('x2', 'x3')",
        )
    )
    assert rows == {"x2": "2018-11-04 01:00", "x3": "2018-11-03 23:50"}
    resulted = warehouse_rows(
        settings,
        client,
        "select strftime(resulted_at, '%Y-%m-%d %H:%M') from exams where order_id = 'x3'",
    )
    assert resulted == [("2018-11-04 01:00",)]


# --- MariaDB: a profile-free client, formats and garbage -----------------------------------

MARIADB_DDL = [
    "set session sql_mode = ''",
    "create table atend (nr_atendimento varchar(10), cd_paciente varchar(10), "
    "ie_tipo varchar(2), dt_entrada varchar(20), dt_atualizacao varchar(20))",
    "create table conta (nr_conta varchar(10), nr_atendimento varchar(10), "
    "cd_convenio varchar(4), dt_conta varchar(20), vl_conta varchar(20), "
    "ds_motivo varchar(40), ds_recurso varbinary(40), dt_pagamento date, "
    "dt_atualizacao varchar(20))",
    "insert into atend values "
    + ", ".join(
        f"('{i}', 'P{i}', '1', '01/10/2025 08:00', '01/10/2025 08:00')" for i in range(1, 8)
    ),
    "insert into conta values "
    # 1: every value readable, Brazilian number and date
    "('c1', '1', '1', '31/10/2025 14:30', '1.234,56', 'ok', 'aceito', '2025-11-10', "
    "'31/10/2025 14:30'), "
    # 2: a NUL byte in a text
    "('c2', '2', '1', '31/10/2025 14:30', '10,00', concat('glosa', char(0), 'x'), null, null, "
    "'31/10/2025 14:30'), "
    # 3: bytes that are not text in any encoding the source declares
    "('c3', '3', '1', '31/10/2025 14:30', '10,00', null, x'fffe41', null, "
    "'31/10/2025 14:30'), "
    # 4: a MariaDB zero date
    "('c4', '4', '1', '31/10/2025 14:30', '10,00', null, null, '0000-00-00', "
    "'31/10/2025 14:30'), "
    # 5: a number in another format than the declared one
    "('c5', '5', '1', '31/10/2025 14:30', '1,234.56', null, null, null, "
    "'31/10/2025 14:30'), "
    # 6: a date in another format than the declared one
    "('c6', '6', '1', '2025-10-31 14:30', '10,00', null, null, null, "
    "'31/10/2025 14:30'), "
    # 7: integral thousands, no decimals
    "('c7', '7', '1', '01/11/2025 09:05', '12.000', null, null, null, "
    "'01/11/2025 09:05')",
]

ENCOUNTERS_SQL = """
select
    nr_atendimento as encounter_id,
    cd_paciente as patient_key,
    ie_tipo as encounter_type,
    'A' as status,
    null as admission_character,
    dt_entrada as admitted_at,
    null as discharged_at,
    null as discharge_type,
    null as unit_code,
    null as cid10,
    null as payer_type,
    dt_atualizacao as updated_at
from atend
"""

BILLING_SQL = """
select
    nr_conta as account_id,
    nr_atendimento as encounter_id,
    cd_convenio as payer_type,
    dt_conta as billed_at,
    vl_conta as amount_billed,
    null as amount_denied,
    ds_motivo as denial_reason,
    ds_recurso as appeal_outcome,
    dt_pagamento as paid_at,
    dt_atualizacao as updated_at
from conta
"""

BR_TIME = "dd/mm/yyyy hh:mi"


@pytest.fixture
def garbage(env):
    url = mariadb_url()
    with mariadb_database(url, "upflux_garbage") as database:
        admin(url, f"use `{database}`", *MARIADB_DDL)
        source = {"url": url, "schema": database, "dialect": "mysql"}
        path = write_client(
            env,
            "sem_perfil",
            {
                "name": "Hospital sem perfil de ERP",
                "timezone": "America/Sao_Paulo",
                "sources": {"erp": source, "faturamento": source},
                "datasets": {
                    "encounters": {
                        "sql": ENCOUNTERS_SQL,
                        "formats": {"admitted_at": BR_TIME, "updated_at": BR_TIME},
                    },
                    "billing": {
                        "sql": BILLING_SQL,
                        "source": "faturamento",
                        "formats": {
                            "billed_at": BR_TIME,
                            "updated_at": BR_TIME,
                            "amount_billed": "1.234,56",
                        },
                    },
                },
                "mappings": {
                    "encounter_type": {"1": "inpatient"},
                    "encounter_status": {"A": "active"},
                    "payer": {"1": "sus"},
                },
            },
        )
        client, result = run_client(env, path)
        yield env, client, result


def test_a_profile_free_client_loads_its_own_queries_from_named_sources(garbage):
    settings, client, result = garbage
    assert result.success
    assert client.sources["faturamento"].profile is None
    found = ledger(settings, client, result.run_id)
    assert found["encounters"] == (7, 7, 0, 0)
    assert found["billing"] == (7, 2, 5, 0)


def test_declared_formats_are_parsed_not_quarantined(garbage):
    settings, client, _ = garbage
    rows = warehouse_rows(
        settings,
        client,
        "select account_id, amount_billed, strftime(billed_at, '%Y-%m-%d %H:%M') from billing "
        "order by account_id",
    )
    assert rows == [
        ("c1", Decimal("1234.56"), "2025-10-31 14:30"),
        ("c7", Decimal("12000.00"), "2025-11-01 09:05"),
    ]


def test_garbage_values_quarantine_their_row_with_the_reason(garbage):
    settings, client, result = garbage
    reasons = dict(
        warehouse_rows(
            settings,
            client,
            "select account_id, _reasons from quarantine.billing where _load_id = ?",
            [result.run_id],
        )
    )
    assert reasons["c2"] == ["values_readable", "values_readable: denial_reason: byte NUL no texto"]
    assert reasons["c3"] == [
        "values_readable",
        "values_readable: appeal_outcome: texto com codificação inválida",
    ]
    assert "values_readable: paid_at: data zerada (0000-00-00)" in reasons["c4"]
    assert reasons["c5"] == ["amount_billed_parseable"]
    assert reasons["c6"] == ["billed_at_parseable"]
