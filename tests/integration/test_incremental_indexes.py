"""An incremental column without an index in the ERP is named by connect-test and by the load.

The demo ERP, as a real ERP, indexes every column an incremental load filters on; here one
table's index is dropped (`pedido_exame.dt_atualizacao`, behind the exams dataset's
`updated_at`) in a throw-away schema of the real PostgreSQL and MariaDB servers. connect-test
then warns for exams only (the other datasets' columns are indexed: no warning), naming the
source, dataset, table and column and the statement to ask the DBA for; the load publishes,
with the non-blocking check `source_incremental_indexed` failed on exams only in its records.
"""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from tests.dbservers import mariadb_url, postgres_url
from tests.support.databases import admin, database_demo, unique_name
from upflux_etl.catalog.reader import read_catalog
from upflux_etl.onboarding.connect_test import connect_test
from upflux_etl.quality.source_index import INDEX_CHECK
from upflux_etl.settings import Settings

DEMO = {"beds": 20, "months": 1, "scale": 0.05, "end_date": "2026-09-30"}
DROPPED = "pedido_exame.dt_atualizacao"


@pytest.fixture(params=["pg", "maria"])
def unindexed_demo(request, tmp_path, monkeypatch):
    """A demo client on the real server whose ERP lacks the index on pedido_exame."""
    (tmp_path / "clients").mkdir()
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(tmp_path / "clients"))
    monkeypatch.setenv("UPFLUX_DATA_DIR", str(tmp_path / "data"))
    settings = Settings.from_env()
    pg = request.param == "pg"
    url, schema = (postgres_url() if pg else mariadb_url()), unique_name("upflux_idx")
    index = "ix_pedido_exame_dt_atualizacao"
    drop, gone = (
        (f'drop index "{schema}".{index}', f'drop schema if exists "{schema}" cascade')
        if pg
        else (
            f"drop index {index} on `{schema}`.pedido_exame",
            f"drop database if exists `{schema}`",
        )
    )
    try:
        demo = database_demo(settings, request.param, schema=schema, url=url, **DEMO)
        admin(url, drop)
        yield settings, schema, demo
    finally:
        admin(url, gone)


def test_connect_test_and_the_load_name_the_unindexed_column(unindexed_demo):
    settings, schema, demo = unindexed_demo
    ask = f"create index ix_pedido_exame_dt_atualizacao on {schema}.pedido_exame (dt_atualizacao)"

    tested = connect_test(settings, read_catalog(settings), demo.client).as_dict()
    datasets = tested["sources"]["erp"]["datasets"]
    [warning] = datasets["exams"]["warnings"]
    for part in ("source erp", "dataset exams", "updated_at", DROPPED, "whole pedido_exame", ask):
        assert part in warning, warning
    assert not {d: c["warnings"] for d, c in datasets.items() if d != "exams" and c["warnings"]}
    # A warning, not a failure (the test's account is writable: the source itself is not ok).
    assert datasets["exams"]["columns_ok"] and datasets["exams"]["problems"] == []

    from upflux_etl.cli.main import app

    shown = CliRunner().invoke(app, ["connect-test", demo.client.slug])
    assert shown.exception is None or isinstance(shown.exception, SystemExit), shown.output
    assert "warning: connectors/hospitalis/exams.sql: source erp, dataset exams" in shown.output
    assert ask in shown.output

    from tests.support.demo import materialize_client

    result = materialize_client(demo)
    assert result.success
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        rows = con.execute(
            "select dataset, status, blocking, description from meta.check_results "
            "where check_name = ?",
            [INDEX_CHECK],
        ).fetchall()
    finally:
        con.close()
    status = {dataset: s for dataset, s, _, _ in rows}
    assert status.pop("exams") == "failed"
    assert set(status.values()) == {"passed"} and len(status) >= 9, status
    [(_, _, blocking, description)] = [r for r in rows if r[0] == "exams"]
    assert not blocking and DROPPED in description and ask in description
    [evaluation] = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.check_name == INDEX_CHECK
        and e.asset_check_evaluation_data.asset_check_key.asset_key.path[-1] == "exams"
    ]
    assert not evaluation.passed and evaluation.severity.value == "WARN"
