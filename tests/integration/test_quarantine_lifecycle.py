"""A quarantined record stays open, listed load after load, until a load brings it clean.

The demo hospital on its SQLite ERP, real DuckDB files, real Dagster runs: a full load, then
incremental loads after changes at the source (a record fixed, a late parent record), in the
client file (a mapping added, a declared correction), each judged against the demo's defect
manifest.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sqlite3
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
import yaml

from tests.support.demo import make_demo, materialize_client
from upflux_etl.catalog.reader import read_catalog, read_client
from upflux_etl.settings import Settings
from upflux_etl.status import read_status


@pytest.fixture
def demo(tmp_path, monkeypatch):
    (tmp_path / "clients").mkdir()
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(tmp_path / "clients"))
    monkeypatch.setenv("UPFLUX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY", "quarantine-key-" + "0" * 32)
    return make_demo(Settings.from_env())


def run(demo, instance, *, full=False):
    result = materialize_client(demo, full=full, instance=instance)
    assert result.success
    return result


def rows(demo, sql, params=None):
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        con.execute("set TimeZone = ?", [demo.client.timezone])
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def open_ids(demo, dataset, key, check=None):
    where = "where list_contains(_reasons, ?)" if check else ""
    found = rows(
        demo,
        f'select cast("{key}" as varchar) from quarantine."{dataset}" {where}',
        [check] if check else None,
    )
    return sorted(r[0] for r in found)


def defect(demo, name):
    return next(d for d in demo.defects["defects"] if d["defect"] == name)


def erp(demo):
    return sqlite3.connect(demo.settings.data_dir / "demo" / "erp.sqlite")


def recently(demo) -> str:
    """A change time the next incremental window reads (at or after the watermark, not future)."""
    now = dt.datetime.now(ZoneInfo(demo.client.timezone)) - dt.timedelta(hours=1)
    return now.strftime("%Y-%m-%d %H:%M:%S")


def report_of(demo, run_id):
    path = demo.settings.client_dir(demo.client.slug) / "reports" / f"qualidade-{run_id[:8]}.html"
    return path.read_text(encoding="utf-8"), path


def section(html, title):
    """The text of a report's quarantine section, from its title to the next title."""
    start = html.index(f"<h3>{title}")
    end = html.find("<h", start + 4)
    return html[start:end]


def update_client(demo, **changes):
    path = demo.settings.clients_dir / f"{demo.client.slug}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            for kind, codes in value.items():
                data[key].setdefault(kind, {}).update(codes)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    demo.client = read_client(path, read_catalog(demo.settings))


def test_quarantine_stays_open_across_loads_until_fixed_or_released(demo):
    instance = dg.DagsterInstance.ephemeral()
    first = run(demo, instance, full=True).run_id
    opened = {
        ds: rows(demo, f'select count(*) from quarantine."{ds}"')[0][0]
        for ds in {d["dataset"] for d in demo.defects["defects"]}
    }
    assert all(opened.values())
    html, _ = report_of(demo, first)
    for record_id in defect(demo, "discharge_before_admission")["record_ids"]:
        assert record_id in section(html, "Novos nesta carga")
    assert "Nenhum registro de cargas anteriores" in section(html, "Ainda em aberto")

    # Load 2, nothing changed at the source: every record is still open, first seen on load 1.
    result = run(demo, instance)
    second = result.run_id
    assert sum(rows(demo, f'select count(*) from quarantine."{ds}"')[0][0] for ds in opened) == sum(
        opened.values()
    )
    seen = rows(
        demo,
        "select distinct _first_seen_load from quarantine.encounters "
        "union select distinct _first_seen_load from quarantine.exams",
    )
    assert seen == [(first,)]
    status = read_status(demo.settings, demo.client, read_catalog(demo.settings))
    for ds, count in opened.items():
        assert status["datasets"][ds]["quarantine_open"] == count, ds
    html, path = report_of(demo, second)
    still = section(html, "Ainda em aberto")
    discharge = defect(demo, "discharge_before_admission")
    for record_id in discharge["record_ids"]:
        assert record_id in still
    assert "Nenhum registro novo em quarentena" in section(html, "Novos nesta carga")
    csv_path = path.with_name(f"{path.stem}-quarentena.csv")
    assert f'download="{csv_path.name}"' in html
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    listed = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert listed[0][:3] == ["conjunto_de_dados", "campo_identificador", "identificador_erp"]
    assert len(listed) - 1 == sum(opened.values())
    assert {r[2] for r in listed[1:] if r[0] == "encounters"} >= set(discharge["record_ids"])
    evaluations = _evaluations(result)
    check = evaluations[("encounters", "discharge_after_admission")]
    assert not check.passed
    assert check.metadata["quarantine_open"].value == discharge["count"]

    # Load 3: hospital IT fixes one record at the source; it leaves, the others stay.
    fixed, *others = discharge["record_ids"]
    with erp(demo) as con:
        con.execute(
            "update atendimento set dt_alta = datetime(dt_entrada, '+1 day'), "
            "dt_atualizacao = ? where cd_atendimento = ?",
            [recently(demo), int(fixed)],
        )
    third = run(demo, instance).run_id
    open_now = open_ids(demo, "encounters", "encounter_id", "discharge_after_admission")
    assert open_now == sorted(others)
    assert rows(demo, "select count(*) from main.encounters where encounter_id = ?", [fixed]) == [
        (1,)
    ]
    html, _ = report_of(demo, third)
    assert fixed in section(html, "Corrigidos desde o relatório anterior")
    assert "corrigido na origem" in section(html, "Corrigidos desde o relatório anterior")
    assert fixed not in section(html, "Ainda em aberto")
    resolved = rows(
        demo,
        "select record_key, resolution from meta.quarantine_resolved where load_id = ?",
        [third],
    )
    assert resolved == [(f'{{"encounter_id":"{fixed}"}}', "fixed")]

    # Load 4: the encounter an orphan exam points to arrives late: the exam is released.
    orphan = defect(demo, "orphan_exam")
    order = orphan["record_ids"][0]
    with erp(demo) as con:
        (encounter,) = con.execute(
            "select cd_atendimento from pedido_exame where nr_pedido = ?", [int(order)]
        ).fetchone()
        template = con.execute(
            "select * from atendimento where ie_tipo_atendimento = 8 and ie_situacao = 'A' "
            "and dt_alta > dt_entrada limit 1"
        )
        names = [d[0] for d in template.description]
        values = dict(zip(names, template.fetchone(), strict=True))
        values.update(cd_atendimento=encounter, dt_atualizacao=recently(demo))
        con.execute(
            f"insert into atendimento ({', '.join(names)}) values ({', '.join('?' * len(names))})",
            [values[n] for n in names],
        )
    fourth = run(demo, instance).run_id
    assert order not in open_ids(demo, "exams", "order_id")
    assert rows(demo, "select count(*) from main.exams where order_id = ?", [order]) == [(1,)]
    assert sorted(open_ids(demo, "exams", "order_id", "exams_encounter_exists")) == sorted(
        orphan["record_ids"][1:]
    )
    html, _ = report_of(demo, fourth)
    assert "liberado na reverificação" in section(html, "Corrigidos desde o relatório anterior")
    assert sorted(open_ids(demo, "encounters", "encounter_id", "discharge_after_admission")) == (
        sorted(others)
    )
    ledger = rows(
        demo,
        "select extracted, published, quarantined, held from meta.ledger "
        "where load_id = ? and dataset = 'exams'",
        [fourth],
    )
    extracted, published, quarantined, held = ledger[0]
    assert extracted == published + quarantined + held


def test_a_mapping_added_releases_its_rows_and_a_declared_correction_is_applied(demo):
    instance = dg.DagsterInstance.ephemeral()
    run(demo, instance, full=True)
    unmapped = defect(demo, "unmapped_code")
    malformed = defect(demo, "malformed_cid10")
    assert open_ids(demo, "encounters", "encounter_id", "discharge_type_mapped") == sorted(
        unmapped["record_ids"]
    )
    code = rows(
        demo,
        "select distinct discharge_type_code from quarantine.encounters "
        "where list_contains(_reasons, 'discharge_type_mapped')",
    )
    assert len(code) == 1
    update_client(
        demo,
        mappings={"discharge_type": {code[0][0]: "alta"}},
        corrections=[
            {
                "id": "cid-invalido-sem-cid",
                "dataset": "encounters",
                "keys": malformed["record_ids"],
                "set": {"cid10": None},
                "reason": "CID digitado errado; o hospital corrige no próximo trimestre",
                "requested_by": "maria.silva (TI do hospital)",
                "until": "2099-12-31",
            },
            {
                "id": "regra-antiga",
                "dataset": "encounters",
                "where": "cid10 = 'XX'",
                "set": {"cid10": "J18"},
                "reason": "regra de teste vencida",
                "requested_by": "joao",
                "until": "2020-01-31",
            },
        ],
    )
    second = run(demo, instance).run_id
    assert open_ids(demo, "encounters", "encounter_id", "discharge_type_mapped") == []
    released = rows(
        demo,
        "select encounter_id, discharge_type, discharge_type_code from main.encounters "
        "where encounter_id in (select unnest(?::varchar[]))",
        [unmapped["record_ids"]],
    )
    assert len(released) == unmapped["count"]
    assert {r[1] for r in released} == {"alta"}
    assert open_ids(demo, "encounters", "encounter_id", "cid10_format") == []
    corrected = rows(
        demo,
        "select count(*) from main.encounters where cid10 is null "
        "and encounter_id in (select unnest(?::varchar[]))",
        [malformed["record_ids"]],
    )
    assert corrected == [(malformed["count"],)]
    applied = rows(
        demo,
        "select correction, rows_changed, status from meta.corrections_applied "
        "where load_id = ? order by correction",
        [second],
    )
    assert applied == [
        ("cid-invalido-sem-cid", malformed["count"], "applied"),
        ("regra-antiga", 0, "expired"),
    ]
    html, _ = report_of(demo, second)
    corrections = html[html.index("Correções declaradas") :]
    assert "cid-invalido-sem-cid" in corrections
    assert "maria.silva (TI do hospital)" in corrections
    assert re.search(r"aplicada</td><td class=\"n\">" + str(malformed["count"]) + "<", corrections)
    assert "expirada" in corrections


def _evaluations(result):
    return {
        (
            e.asset_check_evaluation_data.asset_check_key.asset_key.path[-1],
            e.asset_check_evaluation_data.check_name,
        ): e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_a_warehouse_written_before_the_lifecycle_opens_reports_and_loads(demo):
    instance = dg.DagsterInstance.ephemeral()
    first = run(demo, instance, full=True).run_id
    # Today's shape: quarantine tables with _load_id, _reasons, _quarantined_at only, and no
    # meta table of resolved records or corrections.
    con = duckdb.connect(str(demo.warehouse))
    tables = [
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'quarantine'"
        ).fetchall()
    ]
    for table in tables:
        for column in (
            "_first_seen_load",
            "_first_seen_at",
            "_last_seen_load",
            "_last_seen_at",
            "_source",
        ):
            con.execute(f'alter table quarantine."{table}" drop column {column}')
    con.execute("drop table meta.quarantine_resolved")
    con.execute("drop table meta.corrections_applied")
    before = {
        t: con.execute(f'select count(*) from quarantine."{t}"').fetchall()[0][0] for t in tables
    }
    con.close()
    status = read_status(demo.settings, demo.client, read_catalog(demo.settings))
    assert status["datasets"]["encounters"]["quarantine_open"] == before["encounters"]

    second = run(demo, instance).run_id
    after = {t: rows(demo, f'select count(*) from quarantine."{t}"')[0][0] for t in tables}
    assert after == before
    seen = rows(
        demo,
        "select distinct _first_seen_load, _last_seen_load from quarantine.encounters "
        "where _source is not null",
    )
    assert seen == [(first, second)]
    # The raw value of an unparseable timestamp was never stored: such rows wait for the
    # source (not re-checked) instead of being released with a null.
    garbage = defect(demo, "garbage_timestamp")
    assert sorted(
        open_ids(demo, "er_visits", "encounter_id", "first_medical_contact_at_parseable")
    ) == sorted(garbage["record_ids"])
    html, _ = report_of(demo, second)
    assert "Ainda em aberto" in html
