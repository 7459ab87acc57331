"""The whole graph for the demo client, on a real DuckDB in a temporary folder, judged
against the generator's own ground truth and defect manifest (never a second run of our SQL)."""

from __future__ import annotations

import json
import math
import sqlite3

import dagster as dg
import duckdb
import pytest

from tests.support.demo import make_demo, materialize_client
from upflux_etl.catalog.reader import read_catalog
from upflux_etl.extract.sql import translate
from upflux_etl.settings import Settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    (tmp / "clients").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UPFLUX_CLIENTS_DIR", str(tmp / "clients"))
        mp.setenv("UPFLUX_DATA_DIR", str(tmp / "data"))
        mp.setenv("UPFLUX_PSEUDONYM_KEY_DEMO", "integration-key-" + "0" * 32)
        settings = Settings.from_env()
        client = make_demo(settings)
        instance = dg.DagsterInstance.ephemeral()
        result = materialize_client(client, instance=instance)
        yield client, result, instance


def load_rows(client, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(client.warehouse), read_only=True)
    try:
        con.execute("set TimeZone = ?", [client.client.timezone])
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_the_run_succeeds(demo):
    _, result, _ = demo
    assert result.success


def test_every_injected_defect_is_caught_by_its_named_check_with_the_manifests_count(demo):
    client, result, _ = demo
    load_id = result.run_id
    checks = {
        (d, n): f
        for d, n, f in load_rows(
            client,
            "select dataset, check_name, failing_count from meta.check_results where load_id = ?",
            [load_id],
        )
    }
    defects = client.defects["defects"]
    assert defects, "the generator injected no defect"
    for defect in defects:
        key = (defect["dataset"], defect["check"])
        assert key in checks, f"no check named {key} for defect {defect['defect']}"
        assert checks[key] == defect["count"], (
            f"{defect['defect']}: {checks[key]} != {defect['count']}"
        )
    expected = {(d["dataset"], d["check"]) for d in defects}
    false_alarms = {k: v for k, v in checks.items() if v and k not in expected}
    assert not false_alarms, f"checks failing on clean data: {false_alarms}"


# Checks that judge nothing on the demo: the fields the demo hospital does not fill.
# A first (full) load has no earlier source catalog to compare with: schema drift is not
# applicable on it, for every dataset.
NOT_APPLICABLE_ON_THE_DEMO: set[tuple[str, str]] = {
    (dataset, "source_schema_unchanged")
    for dataset in (
        "patients",
        "encounters",
        "er_visits",
        "bed_movements",
        "beds",
        "exams",
        "surgeries",
        "surgery_rooms",
        "billing",
        "platform_usage",
    )
}


def test_every_check_has_its_status(demo):
    """Failed exactly where the manifest injected defects; passed (or not applicable) elsewhere."""
    client, result, _ = demo
    rows = load_rows(
        client,
        "select dataset, check_name, level, status, passed, failing_count, observed, expected "
        "from meta.check_results where load_id = ?",
        [result.run_id],
    )
    defects = {(d["dataset"], d["check"]) for d in client.defects["defects"] if d["count"]}
    assert rows and defects <= {(r[0], r[1]) for r in rows}
    for dataset, name, level, status, passed, failing, observed, expected in rows:
        key = (dataset, name)
        if key in defects:
            want = "failed"
        elif key in NOT_APPLICABLE_ON_THE_DEMO:
            want = "not_applicable"
        else:
            want = "passed"
        assert status == want, (key, status, failing)
        assert passed == (status in ("passed", "not_applicable")), key
        if level == "row":
            assert (status == "failed") == (failing > 0), key
        else:
            assert observed is not None and expected, key


def test_asset_checks_surface_in_dagster(demo):
    client, result, _ = demo
    evaluations = {
        (
            e.asset_check_evaluation_data.asset_check_key.asset_key.path[-1],
            e.asset_check_evaluation_data.check_name,
        ): e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    for defect in client.defects["defects"]:
        data = evaluations[(defect["dataset"], defect["check"])]
        assert not data.passed
        assert data.metadata["failing_count"].value == defect["count"]
        assert data.metadata["status"].value == "failed"


def test_no_row_is_lost(demo):
    client, result, _ = demo
    rows = load_rows(
        client,
        "select dataset, extracted, published, quarantined, held from meta.ledger where load_id = ?",
        [result.run_id],
    )
    assert {r[0] for r in rows} == set(client.defects["row_counts"])
    for dataset, extracted, published, quarantined, held in rows:
        assert extracted == client.defects["row_counts"][dataset], dataset
        assert extracted == published + quarantined + held, dataset
        assert published == load_rows(client, f'select count(*) from main."{dataset}"')[0][0]
        assert (
            quarantined == load_rows(client, f'select count(*) from quarantine."{dataset}"')[0][0]
        )


def test_indicators_equal_the_generators_ground_truth(demo):
    client, result, _ = demo
    got = {
        (i, str(p), json.dumps(json.loads(d), sort_keys=True), m): v
        for i, p, d, m, v in load_rows(
            client,
            "select indicator, period, dimensions, measure, value from meta.indicator_values where load_id = ?",
            [result.run_id],
        )
    }
    truth = {
        (t["indicator"], t["period"], json.dumps(t["dimensions"], sort_keys=True), t["measure"]): t[
            "value"
        ]
        for t in client.truth["indicators"]
    }
    # Every indicator of the catalog is configured by the demo and has its truth.
    assert {k[0] for k in truth} == set(read_catalog(client.settings).indicators)
    assert set(got) - set(truth) == set(), "values without a truth"
    assert set(truth) - set(got) == set(), "truths without a value"
    wrong = {
        k: (got[k], v)
        for k, v in truth.items()
        if not math.isclose(got[k], v, rel_tol=1e-9, abs_tol=1e-9)
    }
    assert not wrong


def test_no_clear_identifier_reaches_the_warehouse_or_the_event_log(demo):
    client, _, instance = demo
    erp = sqlite3.connect(client.settings.data_dir / "demo" / "erp.sqlite")
    sql = read_catalog(client.settings).profiles["hospitalis"].queries["patients"]
    cur = erp.execute(translate(sql, "postgres", "sqlite"))
    names = [d[0] for d in cur.description]
    clear = set()
    for row in cur.fetchall():
        rec = dict(zip(names, row, strict=False))
        clear |= {str(rec[c]) for c in ("patient_key", "cpf", "cns") if rec[c]}
    assert len(clear) > 100
    con = duckdb.connect(str(client.warehouse), read_only=True)
    text_columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type like 'VARCHAR%'"
    ).fetchall()
    for schema, table, column in text_columns:
        values = {
            str(r[0])
            for r in con.execute(f'select distinct "{column}" from "{schema}"."{table}"').fetchall()
        }
        assert not (values & clear), f"clear identifier in {schema}.{table}.{column}"
    con.close()
    dump = " ".join(str(e) for run in instance.get_runs() for e in instance.all_logs(run.run_id))
    # prontuarios are short numbers that also occur as row counts: the log is searched for
    # the CPFs and CNSs (11 and 15 digits), the warehouse above for every identifier
    leaked = [c for c in clear if len(c) >= 11 and c in dump]
    assert not leaked, leaked[:5]


def test_the_report_shows_each_indicators_completeness(demo):
    client, _, _ = demo
    reports = sorted((client.settings.client_dir("demo") / "reports").glob("*.html"))
    html = reports[-1].read_text(encoding="utf-8")
    assert "Indicadores: completude" in html
    for name in client.client.indicators:
        assert f"<code>{name}</code>" in html
    # A trend line per indicator (the demo has three months of every one).
    assert html.count('<svg class="trend"') == len(client.client.indicators)


def test_the_nightly_process_mining_keeps_the_event_log_and_the_report_shows_the_map(demo):
    client, result, _ = demo
    root = client.settings.client_dir("demo")
    assert (root / "mining" / "log.duckdb").is_file()  # the event log, kept between nights
    assert not list((root / "mining").glob("*scratch*"))
    summary = json.loads((root / "mining" / f"{result.run_id}.json").read_text(encoding="utf-8"))
    assert "error" not in summary, summary.get("error")
    assert summary["log"]["mode"] == "rebuilt"
    assert summary["cases"] > 0 and summary["variants"] > 0 and 0 < summary["fitness"] <= 1
    assert summary["aligned_now"] == summary["variants"]  # first night: nothing cached
    assert (root / "mining" / "alignments.parquet").is_file()
    html = sorted((root / "reports").glob("*.html"))[-1].read_text(encoding="utf-8")
    assert "Processo: mapa e conformidade" in html and '<svg class="process-map"' in html
