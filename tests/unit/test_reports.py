"""The quality report for hospital IT and the CS overview: content, privacy, self-containment."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from tests.unit.test_state_support import (
    canonical,
    make_client,
    make_run,
    make_warehouse,
    utc,
)
from upflux_etl.catalog.reader import read_health, read_rounds
from upflux_etl.checklist import record_checklist
from upflux_etl.health import score_client
from upflux_etl.reports import render_cs_radar, render_quality_report, report_id
from upflux_etl.settings import project_root
from upflux_etl.state import HealthRecord, StateStore
from upflux_etl.warehouse.schema import ensure_schema

PSEUDONYM = "9f2c" * 16  # what a patient_key HMAC looks like
CPF_HASH = "77aa" * 16
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class TagBalance(HTMLParser):
    """Collects structural problems: unclosed or mismatched tags, external references."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            inside = value and (value.startswith("#") or value.startswith("data:"))
            if name in ("src", "href") and value and not inside:
                self.problems.append(f"external {name}={value}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()


def assert_self_contained_html(text: str, *, inline_script: bool = False) -> None:
    assert text.startswith("<!DOCTYPE html>")
    parser = TagBalance()
    parser.feed(text)
    parser.close()
    assert parser.problems == [] and parser.stack == []
    if inline_script:  # the radar sorts and filters with a small script of its own
        assert text.lower().count("<script") == 1 and "<script>" in text.lower()
    else:
        assert "<script" not in text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "@import" not in text and "url(" not in text
    assert {"html", "head", "body", "title", "style"} <= set(parser.tags)


@pytest.fixture
def warehouse(tmp_path):
    con = make_warehouse(tmp_path / "warehouse.duckdb", canonical())
    con.execute(
        "insert into meta.loads values ('L-20261030', 'hosp_a', 'incremental', "
        "timestamptz '2026-10-30 05:00:00+00', timestamptz '2026-10-30 05:12:00+00', 'published')"
    )
    con.execute("""insert into meta.ledger values
        ('L-20261030', 'encounters', 5, 2, 3, 0, 1.5),
        ('L-20261030', 'patients', 4, 3, 1, 0, 0.5),
        ('L-20261030', 'exams', 70, 10, 60, 0, 0.9)""")
    con.execute(
        """
        insert into meta.check_results values
        ('L-20261030', 'encounters', 'discharge_after_admission', 'row', false, false, 2, 5,
         'Alta registrada antes da admissão <b>',
         'Corrigir a data de alta ou de admissão no atendimento.'),
        ('L-20261030', 'encounters', 'unit_code_mapped', 'row', false, false, 1, 5, null, null),
        ('L-20261030', 'encounters', 'encounter_volume', 'dataset', false, true, 0, 5,
         'Volume mínimo', ''),
        ('L-20261030', 'patients', 'cpf_check_digits', 'row', false, false, 1, 4, null, null),
        ('L-20261030', 'exams', 'exams_encounter_exists', 'row', false, false, 60, 70,
         'Exame de atendimento inexistente', 'Vincular o exame a um atendimento.')
        """
    )
    encounters = [
        ("E-1001", "UTIA", "L-20261030", "discharge_after_admission"),
        ("E-1002", "UTIA", "L-20261030", "discharge_after_admission"),
        ("E-1003", "UTIX", "L-20261030", "unit_code_mapped"),
        ("E-0999", "UTIA", "L-OLD", "discharge_after_admission"),
    ]
    for encounter_id, unit, load_id, reason in encounters:
        con.execute(
            "insert into quarantine.encounters (encounter_id, patient_key, encounter_type, status, "
            "admitted_at, updated_at, unit_code_code, _load_id, _reasons) "
            "values (?, ?, 'inpatient', 'active', now(), now(), ?, ?, [?])",
            [encounter_id, PSEUDONYM, unit, load_id, reason],
        )
    con.execute(
        "insert into quarantine.patients (record_id, patient_key, cpf, updated_at, _load_id, "
        "_reasons) values ('P-77', ?, ?, now(), 'L-20261030', ['cpf_check_digits'])",
        [PSEUDONYM, CPF_HASH],
    )
    con.execute(
        """
        insert into quarantine.exams
            (order_id, encounter_id, exam_kind, priority, ordered_at, updated_at,
             _load_id, _reasons)
        select 'X-' || lpad(i::varchar, 3, '0'), 'E-404', 'lab', 'routine', now(), now(),
               'L-20261030', ['exams_encounter_exists']
        from range(60) t(i)
        """
    )
    yield con
    con.close()


@pytest.fixture
def report(tmp_path, warehouse):
    out = tmp_path / "reports" / "quality.html"
    info = render_quality_report(
        warehouse, make_client(), "L-20261030", out, canonical=canonical(), now=utc(2026, 10, 30, 9)
    )
    return info, out.read_text(encoding="utf-8")


def test_the_report_is_one_self_contained_html_file(report, tmp_path):
    _info, text = report
    assert_self_contained_html(text)
    # no temp file left; the open quarantine's CSV for hospital IT beside it
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "quality-quarentena.csv",
        "quality.html",
    ]


def test_the_report_id_is_its_content_hash_and_is_shown_for_sign_off(report):
    info, text = report
    assert re.fullmatch(r"[0-9a-f]{64}", info.sha256)
    assert report_id(info.path) == info.sha256
    signoff = text[text.index('class="signoff"') :]
    assert "dados validados" in signoff and info.sha256 in signoff
    info.path.write_text(text.replace("E-1001", "E-1009"), encoding="utf-8")
    assert report_id(info.path) is None  # any change breaks the id


def test_the_report_speaks_portuguese_and_shows_the_ledger(report):
    _, text = report
    for phrase in (
        "Relatório de qualidade dos dados",
        "Hospital São Lucas",
        "Extraídos",
        "Publicados",
        "Em quarentena",
        "Retidos",
        "Como corrigir",
        "Corrigir a data de alta",
        "Atendimentos (encounters)",
        "FALHOU",
        "Validação dos dados",
    ):
        assert phrase in text, phrase
    assert "30/10/2026 02:00" in text  # 05:00 UTC is 02:00 in Sao Paulo
    assert "America/Sao_Paulo" in text
    assert "&lt;b&gt;" in text and "admissão <b>" not in text  # escaped


def test_failing_records_are_listed_by_erp_ids_never_by_pseudonyms(report):
    info, text = report
    for erp_id in ("E-1001", "E-1002", "E-1003", "P-77", "X-000"):
        assert erp_id in text
    assert "E-0999" in text  # quarantined by an older load and still open: listed until fixed
    assert PSEUDONYM not in text and CPF_HASH not in text
    assert "UTIX" in text  # the unmapped code itself, so IT can map or fix it
    assert "Código de unit_code sem correspondência" in text  # generated check, default text
    assert info.failing_checks == 4 and info.failing_records == 64


def test_failing_records_are_capped_per_check_with_the_total(report):
    _, text = report
    assert "Mostrando 50 de 60 registro(s)" in text
    assert "X-049" in text and "X-050" not in text


def test_without_the_canonical_model_ids_are_the_id_columns(tmp_path, warehouse):
    out = tmp_path / "q.html"
    render_quality_report(warehouse, make_client(), "L-20261030", out)
    text = out.read_text(encoding="utf-8")
    assert "P-77" in text and "E-1001" in text
    assert PSEUDONYM not in text and CPF_HASH not in text


def test_an_unknown_load_is_an_error(tmp_path, warehouse):
    with pytest.raises(ValueError, match="L-NOPE"):
        render_quality_report(warehouse, make_client(), "L-NOPE", tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_a_clean_load_says_so(tmp_path):
    con = make_warehouse(tmp_path / "w.duckdb", canonical())
    con.execute("insert into meta.loads values ('L1', 'hosp_a', 'full', now(), now(), 'published')")
    con.execute("insert into meta.ledger values ('L1', 'encounters', 3, 3, 0, 0, 1.0)")
    con.execute(
        "insert into meta.check_results values "
        "('L1', 'encounters', 'admitted_at_not_null', 'row', false, true, 0, 3, null, null)"
    )
    info = render_quality_report(con, make_client(), "L1", tmp_path / "q.html")
    text = info.path.read_text(encoding="utf-8")
    assert "Todas as verificações passaram." in text and info.failing_checks == 0
    assert_self_contained_html(text)


@pytest.fixture
def store(tmp_path):
    s = StateStore(f"sqlite:///{tmp_path / 'state.sqlite'}")
    yield s
    s.dispose()


def test_the_cs_radar_shows_score_trend_factors_actions_and_checklist(tmp_path, store):
    rounds = read_rounds(project_root())
    config = read_health(project_root())
    a = make_client("hosp_a", name="Hospital Alfa")
    b = make_client("hosp_b", name="Hospital Beta", cs_owner="")
    c = make_client("hosp_c", name="Hospital Gama")
    now = utc(2026, 10, 31, 15)
    store.record_run(make_run("L1", now - timedelta(hours=100), client="hosp_a"))
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "kickoff",
        "done",
        "ana.souza",
        note="com a diretoria",
        details={"date": "2026-09-01"},
        recorded_at=utc(2026, 9, 1),
    )
    store.record_health(
        HealthRecord("hosp_a", date(2026, 10, 30), 90.0, "green", {}, None, None, [], now)
    )
    score_client(None, store, a, canonical(), config, rounds=rounds, now=now)
    store.record_run(make_run("L1", now - timedelta(hours=2), client="hosp_b"))
    score_client(None, store, b, canonical(), config, rounds=rounds, now=now)
    out = render_cs_radar(
        store,
        [b, a, c],
        tmp_path / "cs" / "radar.html",
        rounds=rounds,
        modules=config.platform_use.modules,
        now=now,
    )
    text = out.read_text(encoding="utf-8")
    assert_self_contained_html(text, inline_script=True)
    for phrase in (
        "Radar de Customer Success",
        "Hospital Alfa",
        "Hospital Beta",
        "Hospital Gama",
        "Atualização dos dados",
        "caindo (antes 90,0)",
        "<polyline points=",
        "1 de 11 itens",
        "Reunião de Kick-off",
        "com a diretoria",
        "carga_atrasada",
        "contatar a TI do hospital",
        "integracao",
        "Ainda sem nota",
    ):
        assert phrase in text, phrase
    summary = text[text.index("<tbody>") :]
    assert (
        summary.index("Hospital Alfa")
        < summary.index("Hospital Beta")
        < summary.index("Hospital Gama")
    )


def test_statuses_show_not_applicable_error_and_a_dataset_checks_figures(tmp_path):
    con = make_warehouse(tmp_path / "w.duckdb", canonical())
    con.execute("alter table meta.check_results add column if not exists error varchar")
    ensure_schema(con)  # today's columns: status, observed, expected
    con.execute("insert into meta.loads values ('L1', 'hosp_a', 'full', now(), now(), 'published')")
    con.execute("insert into meta.ledger values ('L1', 'encounters', 3, 3, 0, 0, 1.0)")
    con.execute(
        "insert into meta.check_results (load_id, dataset, check_name, level, blocking, passed, "
        "failing_count, element_count, error, expectation_type, status, observed, expected) "
        "values ('L1', 'encounters', 'triage_filled', 'dataset', false, true, 0, 3, null, "
        "'expect_column_proportion_of_non_null_values_to_be_between', 'not_applicable', 0, '≥ 0.5'), "
        "('L1', 'encounters', 'discharged_filled', 'dataset', false, false, 0, 3, null, "
        "'expect_column_proportion_of_non_null_values_to_be_between', 'failed', 0.25, '≥ 0.5'), "
        "('L1', 'encounters', 'broken', 'row', false, false, 0, 3, 'column nope missing', "
        "'expect_column_values_to_not_be_null', 'error', null, null)"
    )
    info = render_quality_report(con, make_client(), "L1", tmp_path / "q.html")
    text = info.path.read_text(encoding="utf-8")
    assert "NÃO SE APLICA" in text and "ERRO" in text
    assert "observado 25,00%; esperado ≥ 0.5" in text
    assert "não pôde ser executada: column nope missing" in text
    assert info.failing_checks == 2  # the failed one and the error, not the not-applicable one
