"""The open quarantine for hospital IT (CSV) and in Dagster's asset checks."""

from __future__ import annotations

import csv
import io

import dagster as dg

from tests.unit.test_quality_dagster import EXPECTATIONS, KEY, outcome_of
from upflux_etl.quality.dagster_checks import check_results
from upflux_etl.quality.outcome import SuiteOutcome
from upflux_etl.reports.quarantine_csv import HEADER, quarantine_csv, write_quarantine_csv
from upflux_etl.reports.quarantine_data import QuarantineRow


def row(record_id: str, description: str = "Alta antes da admissão") -> QuarantineRow:
    return QuarantineRow(
        dataset="encounters",
        id_columns="encounter_id",
        record_id=record_id,
        checks=("discharge_after_admission",),
        descriptions=(description,),
        first_seen="01/10/2026 02:00",
        state="em aberto",
    )


def test_the_csv_opens_in_excel_pt_br_with_every_record(tmp_path):
    rows = [row("10"), row("11", "Código; com separador e acentuação")]
    path = write_quarantine_csv(tmp_path / "q.csv", rows)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads accents right
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(HEADER)
    parsed = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [r[2] for r in parsed[1:]] == ["10", "11"]
    assert parsed[2][5] == "Código; com separador e acentuação"
    assert "\r\n" in text


def test_an_empty_quarantine_is_a_csv_with_its_header_only():
    assert quarantine_csv([]) == "\ufeff" + ";".join(HEADER) + "\r\n"


def test_a_row_check_with_open_records_is_not_green_whatever_load_quarantined_them():
    cid = next(e for e in EXPECTATIONS if e.name == "cid10_format")
    mostly = next(e for e in EXPECTATIONS if e.name == "mostly_filled")
    outcome = SuiteOutcome("encounters", (outcome_of(cid, True), outcome_of(mostly, True)))
    results = {
        r.check_name: r
        for r in check_results(KEY, outcome, {"cid10_format": (3, "2026-10-01 02:00:00-03")})
    }
    assert not results["cid10_format"].passed
    assert results["cid10_format"].metadata["quarantine_open"] == dg.IntMetadataValue(3)
    assert "3 registro(s) em quarentena" in (results["cid10_format"].description or "")
    assert "desde 2026-10-01" in (results["cid10_format"].description or "")
    assert results["mostly_filled"].passed
    assert "quarantine_open" not in results["mostly_filled"].metadata


def test_without_open_records_a_passing_row_check_stays_green():
    cid = next(e for e in EXPECTATIONS if e.name == "cid10_format")
    (result,) = check_results(KEY, SuiteOutcome("encounters", (outcome_of(cid, True),)), {})
    assert result.passed
    assert result.metadata["quarantine_open"] == dg.IntMetadataValue(0)
