"""The CS radar in a real headless Chromium (Debian's; nothing here downloads a browser):
no console errors, filters by owner, segment and band, sorting by column."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.test_state_support import canonical, make_client, make_run, utc
from upflux_etl.catalog.reader import read_health, read_rounds
from upflux_etl.health import score_client
from upflux_etl.reports import render_cs_radar
from upflux_etl.settings import project_root
from upflux_etl.state import StateStore

NOW = utc(2026, 10, 31, 15)


@pytest.fixture
def radar(tmp_path):
    """Three hospitals: one healthy for a week, one whose loads all fail, one never loaded."""
    config, rounds = read_health(project_root()), read_rounds(project_root())
    a = make_client("hosp_a", name="Hospital Alfa", cs_owner="ana.souza", segment="small")
    b = make_client("hosp_b", name="Hospital Beta", cs_owner="bruno.lima", segment="enterprise")
    c = make_client("hosp_c", name="Hospital Gama", cs_owner="ana.souza")
    with StateStore(f"sqlite:///{tmp_path / 'state.sqlite'}") as store:
        for back in range(7, -1, -1):
            day = NOW.date() - timedelta(days=back)
            ended = utc(day.year, day.month, day.day, 5, 10)
            store.record_run(make_run(f"A{back}", ended, client="hosp_a"))
            store.record_run(
                make_run(f"B{back}", ended, client="hosp_b", status="failed", books={},
                         connection_ok=False)
            )  # fmt: skip
            for client in (a, b):
                score_client(
                    None, store, client, canonical(), config, rounds=rounds, as_of=day, now=NOW
                )
        return render_cs_radar(
            store,
            [a, b, c],
            tmp_path / "radar.html",
            rounds=rounds,
            modules=config.platform_use.modules,
            now=NOW,
        )


def test_the_radar_renders_sorts_and_filters_without_console_errors(browser, radar):
    page = browser.new_page()
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"request {r.url}"))
    page.goto(radar.as_uri())
    rows = page.locator("#radar tbody tr")
    assert rows.count() == 3

    def names() -> list[str]:
        cells = page.locator("#radar tbody tr:visible td:first-child > strong")
        return [n.strip() for n in cells.all_inner_texts()]

    assert names() == ["Hospital Beta", "Hospital Alfa", "Hospital Gama"]  # red first
    beta = page.locator("#h-hosp_b")
    assert (
        "carga_falhando" in beta.inner_text()
        and "falhou: sem conexão com o ERP" in beta.inner_text()
    )
    assert page.locator("#h-hosp_a svg.spark polyline").count() == 1
    page.select_option("#f-owner", "ana.souza")
    assert names() == ["Hospital Alfa", "Hospital Gama"]
    assert page.locator("#shown").inner_text() == "2 hospital(is)"
    page.select_option("#f-segment", "small")
    assert names() == ["Hospital Alfa"]
    page.select_option("#f-owner", "")
    page.select_option("#f-segment", "")
    page.select_option("#f-band", "red")
    assert names() == ["Hospital Beta"]
    page.select_option("#f-band", "")
    page.click("th[data-sort=name]")
    assert names() == ["Hospital Alfa", "Hospital Beta", "Hospital Gama"]
    page.click("th[data-sort=name]")
    assert names() == ["Hospital Gama", "Hospital Beta", "Hospital Alfa"]
    page.click("th[data-sort=score]")
    assert names()[-1] == "Hospital Alfa"  # the highest score last when ascending
    assert problems == []
    page.close()
