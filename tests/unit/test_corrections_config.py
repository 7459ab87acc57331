"""Declared corrections in a client file: every mistake named by file, field and line."""

from __future__ import annotations

from tests.unit.test_validation import GOOD, problems_of, project, write_client  # noqa: F401
from upflux_etl.catalog.validation import validate_project
from upflux_etl.settings import Settings

CORRECTIONS = """
corrections:
  - id: alta-administrativa
    dataset: encounters
    where: "discharge_type_code = '99' and status = 'active'"
    set: {discharge_type: alta}
    reason: "Código 99 ainda sem mapeamento no ERP"
    requested_by: "maria (TI do hospital)"
    until: 2027-03-31
  - id: exames-sem-resultado
    dataset: exams
    keys: [101, "102"]
    set: {resulted_at: null}
    reason: "Resultado lançado antes do pedido"
    requested_by: joao
    until: 2020-01-01
"""


def test_valid_corrections_validate_and_keep_their_fields(project):  # noqa: F811
    write_client(project, "h.yaml", GOOD + CORRECTIONS)
    validation = validate_project(Settings.from_env())
    assert validation.ok, [str(p) for p in validation.problems]
    first, second = validation.clients[0].corrections
    assert first.set_ == {"discharge_type": "alta"}
    assert second.keys == ["101", "102"]
    assert str(second.until) == "2020-01-01"


def test_every_wrong_correction_is_named_by_field_and_line(project):  # noqa: F811
    bad = """
corrections:
  - id: a
    dataset: encounterz
    where: "x = 1"
    set: {cid10: null}
    reason: r
    requested_by: w
    until: 2027-01-01
  - id: b
    dataset: encounters
    where: "nope_column = 1 and (select 1) = 1"
    set: {discharge_type: alta_hospitalar, admitted_at: ontem, encounter_id: "9"}
    reason: r
    requested_by: w
    until: 2027-01-01
  - id: c
    dataset: beds
    keys: ["1"]
    set: {bed_type: uti}
    reason: r
    requested_by: w
    until: 2027-01-01
"""
    write_client(project, "h.yaml", GOOD + bad)
    validation = validate_project(Settings.from_env())
    found = problems_of(validation, "h.yaml")
    assert "unknown dataset 'encounterz'" in found["corrections.0.dataset"]
    assert "nope_column" in found["corrections.1.where"]
    assert "alta_hospitalar" in found["corrections.1.set.discharge_type"]
    assert "not a valid timestamp" in found["corrections.1.set.admitted_at"]
    assert "key or personal" in found["corrections.1.set.encounter_id"]
    assert "compound key" in found["corrections.2.keys"]
    lines = {p.field: p.line for p in validation.problems}
    assert lines["corrections.1.set.admitted_at"] > lines["corrections.0.dataset"]


def test_a_correction_needs_exactly_one_selector_and_a_date(project):  # noqa: F811
    bad = """
corrections:
  - id: d
    dataset: exams
    where: "true"
    keys: ["1"]
    set: {exam_code: "1"}
    reason: r
    requested_by: w
    until: amanha
"""
    path = write_client(project, "h.yaml", GOOD + bad)
    found = problems_of(validate_project(Settings.from_env()), "h.yaml")
    assert "date" in found["corrections.0.until"]
    path.write_text(path.read_text(encoding="utf-8").replace("amanha", "2027-01-01"))
    validation = validate_project(Settings.from_env())
    found = problems_of(validation, "h.yaml")
    assert "exactly one of `where`" in found["corrections.0"]
    assert all(p.line for p in validation.problems)


def test_a_condition_reads_only_the_rows_own_columns(project):  # noqa: F811
    bad = """
corrections:
  - id: e
    dataset: exams
    where: "order_id in (select order_id from main.exams)"
    set: {exam_code: "1"}
    reason: r
    requested_by: w
    until: 2027-01-01
"""
    write_client(project, "h.yaml", GOOD + bad)
    found = problems_of(validate_project(Settings.from_env()), "h.yaml")
    assert "no subquery" in found["corrections.0.where"]
