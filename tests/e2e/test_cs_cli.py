"""The Customer Success commands as a person runs them, on a small demo after `upflux demo`:
`upflux health`, `upflux actions`, `upflux radar` (and its deprecated alias), and checklist
dates refused with a clear message."""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.e2e.conftest import assert_ok


def test_a_fresh_demo_is_plausible_and_health_reads_like_status(demo_world):
    world = demo_world.world
    health = world.upflux("health", "demo", "--json")
    assert_ok(health)
    view = json.loads(health.stdout)
    assert view["band"] in {"green", "yellow"}, view
    assert view["trend"] in {"flat", "up"}, view
    assert not [a for a in view["next_actions"] if a["kind"].startswith("queda_volume")], view
    days = [date.fromisoformat(h["as_of"]) for h in view["history"]]
    assert len(days) >= 30 and days == [days[0] + timedelta(d) for d in range(len(days))]
    assert {f["name"] for f in view["factors"]} >= {"freshness", "data_flow", "implementation"}
    assert all(f["explanation"] for f in view["factors"])
    for action in view["next_actions"]:
        assert {"id", "state", "reason", "owner", "due"} <= set(action)
    status = json.loads(world.upflux("status", "demo", "--json").stdout)
    assert (status["health"]["trend"], status["health"]["score"]) == (view["trend"], view["score"])


def test_actions_list_done_snooze_dismiss(demo_world):
    world = demo_world.world
    listed = world.upflux("actions", "list", "demo", "--json")
    assert_ok(listed)
    actions = json.loads(listed.stdout)
    assert actions, "a fresh demo has at least the next checklist item to do"
    first = actions[0]
    assert first["state"] == "open" and first["due"] and first["owner"]
    done = world.upflux("actions", "done", str(first["id"]), "--by", "ana", "--note", "feito")
    assert_ok(done)
    assert f"ação #{first['id']}" in done.stdout
    after = json.loads(world.upflux("actions", "list", "demo", "--json", "--all").stdout)
    (handled,) = [a for a in after if a["id"] == first["id"]]
    assert (handled["state"], handled["done_by"], handled["note"]) == ("done", "ana", "feito")
    assert first["id"] not in [
        a["id"] for a in json.loads(world.upflux("actions", "list", "demo", "--json").stdout)
    ]
    refused = world.upflux("actions", "snooze", str(first["id"]), "--until", "ontem")
    assert refused.returncode == 2 and "AAAA-MM-DD" in refused.output, refused.explain()
    missing = world.upflux("actions", "dismiss", "999999", "--reason", "x")
    assert missing.returncode == 2 and "nenhuma ação com id 999999" in missing.output


def test_checklist_dates_are_refused_with_a_clear_message(demo_world):
    world = demo_world.world
    for bad in ("ontem", "2026-13-45"):
        call = world.upflux("checklist", "record", "demo", "kickoff", "--by", "ana", "--date", bad)
        assert call.returncode == 2, call.explain()
        assert f"'{bad}' não é uma data válida; use o formato AAAA-MM-DD" in call.output
        assert "Traceback" not in call.output
    future = (date.today() + timedelta(days=30)).isoformat()
    call = world.upflux("checklist", "record", "demo", "kickoff", "--by", "ana", "--date", future)
    assert call.returncode == 2 and "está no futuro" in call.output, call.explain()


def test_radar_and_its_deprecated_alias(demo_world):
    world = demo_world.world
    radar = world.upflux("radar")
    assert_ok(radar)
    path = world.data / "cs_radar.html"
    assert f"CS radar: {path}" in radar.stdout
    text = path.read_text(encoding="utf-8")
    assert "Radar de Customer Success" in text and 'id="h-demo"' in text
    alias = world.upflux("overview")
    assert_ok(alias)
    assert "deprecated: use `upflux radar`" in alias.stderr
