"""A patient the hospital excludes appears nowhere, on a demo ERP in a real MariaDB database.

The patient is loaded first; then the client file names its prontuario in an exclusion file:
the next load removes the patient and everything keyed to its encounters from every table of
the published warehouse (its pseudonym and its encounter ids are scanned for in every column
of every table), and the reconciliation still matches, counting the excluded rows apart.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.dbservers import mariadb_url
from tests.integration.test_source_reconciliation import DEMO, configure, load, reconciliation
from tests.support.databases import admin, database_demo, unique_name
from tests.support.demo import DemoClient, key_env_of
from upflux_etl.extract.pii import pseudonym_key, pseudonymise
from upflux_etl.settings import Settings

KEY = "exclusion-key-" + "0" * 32


@pytest.fixture
def erp(tmp_path, monkeypatch):
    (tmp_path / "clients").mkdir()
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(tmp_path / "clients"))
    monkeypatch.setenv("UPFLUX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY", KEY)
    settings = Settings.from_env()
    url, database = mariadb_url(), unique_name("upflux_excl")
    try:
        yield url, database, database_demo(settings, "excl", schema=database, url=url, **DEMO)
    finally:
        admin(url, f"drop database if exists `{database}`")


def traces(path: Path, pseudonym: str, encounters: list[str]) -> list[str]:
    """Every table.column of the DuckDB file at `path` holding the pseudonym or an encounter id."""
    con = duckdb.connect(str(path), read_only=True)
    found = []
    try:
        columns = con.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns() "
            "where not internal"
        ).fetchall()
        for schema, table, column, kind in columns:
            text = f'cast("{column}" as varchar)'
            # the pseudonym anywhere; encounter ids as ids, or inside a tombstone's key
            needles = [pseudonym] + [f'"encounter_id":"{e}"' for e in encounters]
            where = [" or ".join(f"contains({text}, ?)" for _ in needles)]
            params: list = list(needles)
            if column == "encounter_id":
                where.append(f"{text} in ({', '.join('?' * len(encounters))})")
                params += encounters
            n = con.execute(
                f'select count(*) from "{schema}"."{table}" where {" or ".join(where)}', params
            ).fetchall()[0][0]
            if n:
                found.append(f"{schema}.{table}.{column} ({kind}): {n}")
    finally:
        con.close()
    return found


def test_an_excluded_patient_appears_nowhere_and_the_counts_still_reconcile(erp):
    url, database, demo = erp
    prontuario, patient = admin(
        url,
        f"select p.nr_prontuario, p.cd_paciente from `{database}`.paciente p "
        f"join `{database}`.atendimento a on a.cd_paciente = p.cd_paciente "
        f"join `{database}`.pedido_exame e on e.cd_atendimento = a.cd_atendimento "
        "group by p.nr_prontuario, p.cd_paciente order by count(*) desc, 1 limit 1",
    )[0][0]
    encounters = [
        str(r[0])
        for r in admin(
            url,
            f"select distinct cd_atendimento from `{database}`.atendimento "
            f"where cd_paciente = {patient}",
        )[0]
    ]
    # The client's own key (its file names UPFLUX_PSEUDONYM_KEY_EXCL), as the load uses it.
    (pseudonym,) = pseudonymise([str(prontuario)], pseudonym_key(os.environ[key_env_of("excl")]))
    instance = dg.DagsterInstance.ephemeral()

    load(demo, instance, full=True)
    before = traces(demo.warehouse, pseudonym, encounters)
    assert any(t.startswith("main.patients.patient_key") for t in before), before
    assert any(t.startswith("main.exams.encounter_id") for t in before), before

    listed = Path(demo.client.file).with_name("excluded.txt")
    listed.write_text(f"# pedidos do encarregado (DPO)\n{prontuario}\n", encoding="utf-8")
    demo = configure(demo, privacy={"exclude_patients_file": "excluded.txt"})
    assert demo.client.privacy.excluded_ids == (str(prontuario),)

    incremental = load(demo, instance, full=False)
    assert traces(demo.warehouse, pseudonym, encounters) == []
    _assert_reconciled(demo, incremental)

    full = load(demo, instance, full=True)
    assert traces(demo.warehouse, pseudonym, encounters) == []
    # the publication before this one was already built without the patient
    previous = demo.warehouse.with_name("warehouse.previous.duckdb")
    assert traces(previous, pseudonym, encounters) == []
    _assert_reconciled(demo, full)


def _assert_reconciled(demo: DemoClient, load_id: str) -> None:
    figures = reconciliation(demo, load_id)
    assert all(f["matched"] for f in figures.values()), figures
    assert figures["patients"]["excluded"] == 1
    assert figures["encounters"]["excluded"] >= 1 and figures["exams"]["excluded"] >= 1
    assert figures["beds"]["excluded"] == 0
