"""A first historical load cut into monthly periods, on a demo ERP in a real PostgreSQL schema.

A source broken for period 2 (a table renamed between periods) stops the history there; the
same command resumes at period 2 once it is fixed; the three published loads add up to what
one full load publishes (keys and counts per dataset, indicators); after the last period the
nightly incremental brings only the rows changed since. (One test: each load costs seconds.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest
import yaml
from typer.testing import CliRunner

from tests.dbservers import postgres_url
from tests.integration.test_demo_pipeline import load_rows
from tests.support.databases import admin, database_demo, unique_name
from tests.support.demo import DemoClient, client_key_of, key_env_of, materialize_client
from upflux_etl.catalog.reader import read_catalog, read_client
from upflux_etl.cli.main import app
from upflux_etl.history import HistoryRun, plan_history, run_history
from upflux_etl.pipeline.history import HistoryWindow, is_windowed
from upflux_etl.runner import run_client
from upflux_etl.settings import Settings

# The demo's data runs from 2026-07-01 to 2026-09-30: three months, one period each.
DEMO = {"beds": 30, "months": 3, "scale": 0.1, "end_date": "2026-09-30"}
SINCE, UNTIL = dt.date(2026, 7, 1), dt.date(2026, 10, 1)


@pytest.fixture
def erp(tmp_path, monkeypatch):
    (tmp_path / "clients").mkdir()
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(tmp_path / "clients"))
    monkeypatch.setenv("UPFLUX_DATA_DIR", str(tmp_path / "data"))
    # One pseudonymisation key for both clients: their pseudonymised keys compare equal.
    monkeypatch.setenv(key_env_of("hist"), client_key_of("hist"))
    monkeypatch.setenv(key_env_of("whole"), client_key_of("hist"))
    monkeypatch.delenv("UPFLUX_STATE_URL", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))  # the CLI's instance
    settings = Settings.from_env()
    url, schema = postgres_url(), unique_name("upflux_hist")
    try:
        history = database_demo(settings, "hist", schema=schema, url=url, **DEMO)
        # The same ERP, loaded whole by one full load: what the history must add up to.
        whole = database_demo(
            settings, "whole", schema=schema, url=url, erp_dir=history.erp_dir, **DEMO
        )
        history, whole = share_key(history, "whole"), share_key(whole, "hist")
        yield url, schema, history, whole
    finally:
        admin(url, f'drop schema if exists "{schema}" cascade')


def share_key(demo: DemoClient, other: str) -> DemoClient:
    """The client declaring that it shares its pseudonymisation key with `other`."""
    path = Path(demo.client.file)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["pseudonymisation"]["shared_with"] = [other]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    client = read_client(path, read_catalog(demo.settings))
    return DemoClient(demo.settings, client, demo.erp_dir)


def history(demo: DemoClient, instance: dg.DagsterInstance, on_period=None) -> HistoryRun:
    plan = plan_history(demo.settings, demo.client, since=SINCE, period="month", until=UNTIL)
    return run_history(demo.settings, demo.client, plan, instance=instance, on_period=on_period)


def datasets(demo: DemoClient) -> list[str]:
    return sorted(r[0] for r in load_rows(demo, "select distinct dataset from meta.ledger"))


def published(demo: DemoClient) -> dict[str, tuple[int, set]]:
    """Per dataset: published rows and their primary keys."""
    canonical = read_catalog(demo.settings).canonical.datasets
    out = {}
    for name in datasets(demo):
        key = ", ".join(f'"{c}"::varchar' for c in canonical[name].primary_key)
        rows = load_rows(demo, f'select {key} from main."{name}"')
        out[name] = (len(rows), set(rows))
    return out


def indicators(demo: DemoClient) -> set[tuple]:
    return set(
        load_rows(
            demo,
            "select indicator, period, dimensions, measure, round(value, 9), unit "
            "from meta.indicator_values where load_id = (select load_id from meta.publication "
            "order by published_at desc limit 1)",
        )
    )


def ledgers(demo: DemoClient) -> dict[str, dict[str, tuple]]:
    rows = load_rows(
        demo, "select load_id, dataset, extracted, published, quarantined, held from meta.ledger"
    )
    out: dict[str, dict[str, tuple]] = {}
    for load_id, dataset, *figures in rows:
        out.setdefault(load_id, {})[dataset] = tuple(figures)
    return out


def periods(demo: DemoClient) -> list[tuple]:
    return load_rows(
        demo,
        "select h.number, h.total, strftime(h.period_start, '%Y-%m-%d'), "
        "strftime(h.period_end, '%Y-%m-%d'), l.mode, l.status from meta.history as h "
        "join meta.loads as l using (load_id) order by h.number",
    )


def assert_adds_up_to_a_full_load(history_demo: DemoClient, whole: DemoClient) -> None:
    full = materialize_client(whole, full=True)
    assert full.success
    ours, theirs = published(history_demo), published(whole)
    assert set(ours) == set(theirs)
    for name in theirs:
        assert ours[name][0] == theirs[name][0], name
        assert ours[name][1] == theirs[name][1], name
    assert indicators(history_demo) == indicators(whole)
    # Every period's load is honest: extracted = published + quarantined + held.
    for load_id, by_dataset in ledgers(history_demo).items():
        for name, (extracted, pub, quarantined, held) in by_dataset.items():
            assert extracted == pub + quarantined + held, (load_id, name)


def test_a_history_interrupted_in_period_2_resumes_adds_up_to_a_full_load_and_the_nightly_carries_on(
    erp,
):
    url, schema, demo, whole = erp
    instance = dg.DagsterInstance.ephemeral()
    table = f'"{schema}".pedido_exame'
    told: list[HistoryWindow] = []

    def break_period_2(window: HistoryWindow) -> None:
        told.append(window)
        if window.number == 2:  # the DBA renamed a table between two periods
            admin(url, f"alter table {table} rename to pedido_exame_antigo")

    failed = history(demo, instance, on_period=break_period_2)

    assert [w.label for w in told] == [
        "período 1/3: 2026-07-01 a 2026-08-01",
        "período 2/3: 2026-08-01 a 2026-09-01",
    ]
    assert not failed.success and [w.number for w in failed.ran] == [1, 2]
    assert [p[0] for p in periods(demo)] == [1]  # period 2 published nothing
    published_loads = load_rows(demo, "select count(*) from meta.loads where status = 'published'")
    assert published_loads == [(1,)]

    # Fixed at the source, the same command again (the CLI, as the person types it).
    admin(url, f'alter table "{schema}".pedido_exame_antigo rename to pedido_exame')
    resumed = CliRunner().invoke(
        app, ["run", "hist", "--history", "--since", f"{SINCE}", "--until", f"{UNTIL}"]
    )

    said = " ".join(resumed.output.split())
    assert resumed.exit_code == 0, said
    assert "retomando a carga histórica: 1 período(s) já publicado(s)" in said
    assert "período 1/3" not in said
    assert "período 2/3: 2026-08-01 a 2026-09-01" in said
    assert "período 3/3: 2026-09-01 a 2026-10-01" in said
    assert "carga noturna continua a partir de 2026-10-01" in said
    # Three published loads, the first full, each recorded with its period.
    assert periods(demo) == [
        (1, 3, "2026-07-01", "2026-08-01", "full", "published"),
        (2, 3, "2026-08-01", "2026-09-01", "incremental", "published"),
        (3, 3, "2026-09-01", "2026-10-01", "incremental", "published"),
    ]
    canonical = read_catalog(demo.settings).canonical.datasets
    by_load = ledgers(demo)
    loads = [r[0] for r in load_rows(demo, "select load_id from meta.history order by number")]
    for name in datasets(demo):
        extracted = [by_load[load_id][name][0] for load_id in loads]
        if is_windowed(canonical[name]):  # cut by month: every month brings its own rows
            assert all(n > 0 for n in extracted), (name, extracted)
        else:  # master data: whole in the first period, not read again
            assert extracted[0] > 0 and extracted[1:] == [0, 0], (name, extracted)
    # Cut datasets' watermarks stand at the history's end: the nightly starts there.
    marks = dict(load_rows(demo, "select dataset, value from meta.watermarks"))
    for name in datasets(demo):
        if is_windowed(canonical[name]):
            assert marks[name] in ("2026-10-01", "2026-10-01 00:00:00"), (name, marks[name])
    # The reconciliation of each period counts the source's rows of the history so far.
    matched = load_rows(
        demo, "select dataset, matched from meta.reconciliation where load_id = ?", [loads[-1]]
    )
    assert matched and all(m for _, m in matched), matched

    assert_adds_up_to_a_full_load(demo, whole)

    # Running the same command again: the history is done, nothing is loaded.
    again = history(demo, instance)
    assert again.ran == [] and again.plan.finished

    # The nightly after the history: a patient registered and an exam order changed in October.
    table = f'"{schema}"'
    patient = admin(url, f"select max(cd_paciente) from {table}.paciente")[0][0][0]
    last_touch = admin(url, f"select max(dt_atualizacao) from {table}.paciente")[0][0][0]
    ties = admin(
        url, f"select count(*) from {table}.paciente where dt_atualizacao = '{last_touch}'"
    )
    admin(
        url,
        f"insert into {table}.paciente (cd_paciente, nr_prontuario, nm_paciente, dt_nascimento, "
        f"ie_sexo, dt_cadastro, dt_atualizacao) values ({patient + 1}, {patient + 900000}, "
        "'PACIENTE NOVO', '1980-05-01', 'F', '2026-10-02 08:00:00', '2026-10-02 08:00:00')",
        f"update {table}.pedido_exame set dt_atualizacao = '2026-10-02 09:00:00' "
        f"where nr_pedido = (select min(nr_pedido) from {table}.pedido_exame)",
    )
    before = published(demo)
    nightly = run_client(demo.settings, demo.client.slug, full=False, instance=instance)
    assert nightly.success
    brought = {name: figures[0] for name, figures in ledgers(demo)[nightly.run_id].items()}
    # Cut datasets: only what changed after the history's end. Patients (whole in period 1)
    # continue from their own watermark, which re-reads the rows of its very instant.
    assert brought.pop("patients") == 1 + ties[0][0][0]
    assert brought.pop("exams") == 1
    assert brought.pop("platform_usage") == 0
    for name, extracted in brought.items():
        if is_windowed(canonical[name]):
            assert extracted == 0, (name, extracted)
    after = published(demo)
    assert after["exams"] == before["exams"]  # the changed order replaced, not duplicated
