"""Indicator completeness (computed per month, coverage) and the report's trend lines."""

from __future__ import annotations

from upflux_etl.catalog.reader import read_catalog
from upflux_etl.indicators.completeness import completeness, indicator_set_status
from upflux_etl.reports.charts import sparkline, trend_points
from upflux_etl.settings import Settings


def value(indicator: str, period: str, measure: str = "value", dims: str = "{}", v=1.0) -> dict:
    return {
        "indicator": indicator,
        "period": period,
        "dimensions": dims,
        "measure": measure,
        "value": v,
    }


def test_a_month_with_rows_and_no_value_is_shown_as_not_computed():
    catalog = read_catalog(Settings.from_env({}))
    values = [value("average_length_of_stay", "2024-01-01"), value("occupancy_rate", "2024-01-01")]
    coverage = [
        {"indicator": "average_length_of_stay", "period": "2024-01-01", "rows": 10, "covered": 9},
        {"indicator": "average_length_of_stay", "period": "2024-02-01", "rows": 4, "covered": 4},
    ]
    (alos, occupancy) = completeness(
        ["average_length_of_stay", "occupancy_rate"], catalog.indicators, values, coverage
    )
    assert [(p.period, p.computed, p.coverage) for p in alos.periods] == [
        ("2024-01-01", True, 0.9),
        ("2024-02-01", False, 1.0),
    ]
    assert alos.computed_periods == 1 and alos.coverage == 13 / 14
    assert alos.as_dict()["by_period"][1] == {
        "period": "2024-02-01",
        "computed": False,
        "rows": 4,
        "covered": 4,
        "coverage": 1.0,
    }
    assert occupancy.coverage is None and occupancy.computed_periods == 1


def test_pm_qualiss_items_say_what_is_computable_configured_and_computed():
    catalog = read_catalog(Settings.from_env({}))
    status = indicator_set_status(
        catalog.indicator_sets["pm_qualiss"], ["mortality_rate"], {"mortality_rate"}
    )
    items = {i["indicator"]: i for i in status["items"] if i["indicator"]}
    assert items["mortality_rate"]["configured"] and items["mortality_rate"]["computed"]
    assert not items["readmission_30d"]["configured"]
    assert all(i["why"] for i in status["items"] if not i["computable"])
    assert status["computed"] == 1


def test_trend_follows_the_headline_measure_without_breakdown():
    values = [
        value("door_to_triage", "2024-02-01", "p50", v=12.0),
        value("door_to_triage", "2024-01-01", "p50", v=10.0),
        value("door_to_triage", "2024-01-01", "p90", v=30.0),
        value("door_to_triage", "2024-01-01", "p50", '{"colour": "red"}', v=1.0),
    ]
    assert trend_points(values, "door_to_triage") == [("2024-01", 10.0), ("2024-02", 12.0)]
    svg = str(sparkline(trend_points(values, "door_to_triage")))
    assert (
        svg.startswith('<svg class="trend"') and "<polyline" in svg and "2024-01 a 2024-02" in svg
    )
    assert str(sparkline([])) == ""
    # Without an overall series, the first breakdown.
    broken = [value("mortality_rate", "2024-01-01", dims='{"scope":"geral"}', v=3.0)]
    broken.append(value("mortality_rate", "2024-01-01", dims='{"scope":"institucional"}', v=2.0))
    assert trend_points(broken, "mortality_rate") == [("2024-01", 3.0)]
    assert "<circle" in str(sparkline([("2024-01", 5.0)]))


def test_the_process_map_draws_every_activity_and_the_most_frequent_edges():
    from upflux_etl.reports.process_map import Activity, Edge, process_map

    activities = [
        Activity("chegada", 10, 0.0),
        Activity("triagem", 10, 1.0),
        Activity("atendimento <médico>", 9, 2.0),
        Activity("exame", 4, 2.2),
    ]
    edges = [
        Edge("chegada", "triagem", 10),
        Edge("triagem", "atendimento <médico>", 9),
        Edge("atendimento <médico>", "exame", 4),
        Edge("exame", "atendimento <médico>", 3),  # back: drawn as an arc below
    ]
    svg = str(process_map(activities, edges))
    assert svg.startswith('<svg class="process-map"') and svg.endswith("</svg>")
    assert svg.count('class="activity"') == 4 and svg.count('class="edge"') == 4
    assert "atendimento &lt;médico&gt;" in svg  # names are escaped
    assert str(process_map([], [])) == ""
    assert str(process_map(activities, edges, max_edges=2)).count('class="edge"') == 2
