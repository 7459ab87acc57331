"""A query's `:changed_since`: the ER query's incremental read gives what the whole query would.

The Hospitalis ER query restricts itself, on an incremental load, to the attendances whose row
or any triage changed since the watermark (`connectors/hospitalis/er_visits.sql`), so the
source's indexes serve it instead of ranking every triage. On a demo ERP in a throw-away
PostgreSQL schema and MariaDB database, with an attendance changed, the first triage of another
changed, and a later triage (a reclassification the dataset does not read) of a third changed,
the incremental query returns exactly the rows of the whole query whose `updated_at` is at or
after the watermark: the first two, not the third.
"""

from __future__ import annotations

import pytest

from tests.support.databases import admin, demo_in_server
from upflux_etl.catalog.queries import client_query
from upflux_etl.catalog.reader import read_catalog
from upflux_etl.extract.probe import open_probe
from upflux_etl.extract.session_options import SessionOptions
from upflux_etl.extract.sql import incremental, translate
from upflux_etl.settings import Settings

DEMO = {"beds": 20, "months": 1, "scale": 0.05, "end_date": "2026-09-30"}
WATERMARK = "2030-01-01 00:00:00"  # after every generated update: only the changes below


@pytest.fixture(params=["postgres", "mariadb"])
def erp(request, tmp_path, monkeypatch):
    """(url, schema, client, dialect) of a demo ERP on the real server."""
    (tmp_path / "clients").mkdir()
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(tmp_path / "clients"))
    monkeypatch.setenv("UPFLUX_DATA_DIR", str(tmp_path / "data"))
    server = request.param
    with demo_in_server(Settings.from_env(), server, server, "upflux_since", **DEMO) as made:
        url, schema, demo = made
        yield url, schema, demo.client, "postgres" if server == "postgres" else "mysql"


def _change(url: str, table: str, where: str, at: str) -> None:
    admin(url, f"update {table} set dt_atualizacao = '{at}' where {where}")


def test_the_incremental_er_query_returns_the_whole_querys_changed_rows(erp):
    url, schema, client, dialect = erp
    quoted = (
        (lambda t: f'"{schema}".{t}') if dialect == "postgres" else (lambda t: f"`{schema}`.{t}")
    )
    [reclassified] = admin(
        url,
        f"select cd_atendimento from {quoted('triagem_ps')} group by cd_atendimento "
        "having count(*) > 1 order by cd_atendimento limit 1",
    )[0]
    [first_only, changed] = [
        r[0]
        for r in admin(
            url,
            f"select a.cd_atendimento from {quoted('atendimento')} as a "
            f"join {quoted('triagem_ps')} as t on t.cd_atendimento = a.cd_atendimento "
            f"where a.ie_tipo_atendimento = 3 and a.cd_atendimento <> {reclassified[0]} "
            "group by a.cd_atendimento having count(*) = 1 order by a.cd_atendimento limit 2",
        )[0]
    ]
    _change(url, quoted("atendimento"), f"cd_atendimento = {changed}", "2030-01-03 00:00:00")
    _change(url, quoted("triagem_ps"), f"cd_atendimento = {first_only}", "2030-01-02 00:00:00")
    later = (
        f"cd_atendimento = {reclassified[0]} and nr_seq_triagem = (select max(nr_seq_triagem) "
        f"from (select * from {quoted('triagem_ps')}) as t where cd_atendimento = "
        f"{reclassified[0]})"
    )
    _change(url, quoted("triagem_ps"), later, "2030-01-02 00:00:00")

    sql = client_query(client, read_catalog(Settings.from_env()), "er_visits").sql
    with open_probe(url, schema, SessionOptions()) as probe:
        whole = probe.rows(translate(sql, "postgres", dialect))
        read = probe.rows(incremental(sql, "postgres", "updated_at", WATERMARK, dialect))
    updated_at = 8  # the query's last column
    expected = sorted(
        r for r in whole if r[updated_at] is not None and str(r[updated_at]) >= WATERMARK
    )
    assert sorted(read) == expected
    assert sorted(r[0] for r in read) == sorted([str(changed), str(first_only)])
    [[(attendances,)]] = admin(
        url, f"select count(*) from {quoted('atendimento')} where ie_tipo_atendimento = 3"
    )
    assert len(whole) == attendances  # the whole query (null bound) still reads every one
