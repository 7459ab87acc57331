"""`upflux connect-test` and `upflux discover` as an integration engineer runs them on the
demo hospital's ERP (SQLite): JSON and text output, the result kept as Round 1 evidence,
and no personal value anywhere in what discover prints."""

from __future__ import annotations

import json
import sqlite3

from tests.e2e.conftest import assert_ok, new_world

SMALL = ["--months", "1", "--beds", "20", "--scale", "0.05", "--end-date", "2026-10-31"]


def test_connect_test_and_discover_on_the_demo_erp(tmp_path):
    world = new_world(tmp_path / "world", demo={})
    erp_dir = world.data / "demo"
    assert_ok(world.upflux("demo-erp", "--out", str(erp_dir), *SMALL))

    tested = world.upflux("connect-test", "demo", "--json")
    assert_ok(tested)
    result = json.loads(tested.stdout)
    assert result["ok"] is True
    erp = result["sources"]["erp"]
    assert erp["read_only"]["value"] is True and "mode=ro" in erp["read_only"]["how"]
    assert erp["datasets"]["exams"]["columns_ok"] and erp["datasets"]["exams"]["rows"] > 0
    assert erp["datasets"]["exams"]["warnings"] == []  # the demo ERP indexes dt_atualizacao
    kept = list((world.data / "demo" / "connect_tests").glob("*.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text("utf-8"))["ok"] is True

    human = world.upflux("connect-test", "demo")
    assert_ok(human)
    assert "read-only: yes" in human.stdout and "the DBA sees: 1 session" in human.stdout

    found = world.upflux("discover", "demo", "--json")
    assert_ok(found)
    with sqlite3.connect(erp_dir / "erp.sqlite") as con:
        personal = con.execute("select nm_paciente, nr_cpf, nr_cartao_sus from paciente").fetchall()
    values = {v for row in personal for v in row if v}
    assert values and not [v for v in values if v in found.stdout]
    paciente = json.loads(found.stdout)["sources"]["erp"]["tables"]["paciente"]
    assert paciente["columns"]["nr_cpf"]["personal"] == "column name"
    text = world.upflux("discover", "demo", "--tables", "pac*")
    assert_ok(text)
    assert "values hidden" in text.stdout and not [v for v in values if v in text.stdout]
