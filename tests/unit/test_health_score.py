"""The health score's pure core: factor math, renormalisation, bands, trend, actions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.unit.test_state_support import ledger, make_run, utc
from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.reader import read_health
from upflux_etl.checklist.status import ChecklistStatus, ItemStatus
from upflux_etl.health import (
    DatasetFlow,
    HealthConfig,
    HealthInputs,
    UsageInputs,
    compute_health,
)
from upflux_etl.health.factors import data_flow
from upflux_etl.settings import project_root

AS_OF = date(2026, 10, 20)
REF = utc(2026, 10, 20, 12)  # 09:00 in Sao Paulo

CONFIG = {
    "weights": {
        "freshness": 25,
        "data_quality": 20,
        "data_flow": 20,
        "platform_use": 15,
        "reconciliation": 10,
        "implementation": 10,
    },
    "bands": [
        {"name": "green", "min": 75, "label": "Saudável"},
        {"name": "yellow", "min": 50, "label": "Atenção"},
        {"name": "red", "min": 0, "label": "Crítico"},
    ],
    "trend": {"flat_within": 2.0},
    "freshness": {"fresh_hours": 26, "stale_hours": 74},
    "data_quality": {"blocking_cap": 0.2, "action_below": 0.95},
    "data_flow": {
        "window_days": 7,
        "baseline_weeks": 4,
        "recent_days": 2,
        "healthy_ratio": 0.8,
        "collapse_ratio": 0.5,
        "min_daily_baseline": 1.0,
    },
    "platform_use": {
        "window_days": 30,
        "modules": {
            "dashboards": "Dashboards",
            "process_maps": "Mapas de processo",
            "reference_models": "Modelos",
            "reports": "Relatórios",
        },
    },
    "reconciliation": {"loads": 3},
    "actions": {
        "integration_owner": "integracao",
        "default_owner": "cs",
        "due_days": {"integration": 1, "recheck": 3, "review": 7},
        "cadence_window_days": 7,
        "cadence": [
            {"kind": "cs_contato_3d", "after_days": 3, "title": "Contato 3 dias"},
            {"kind": "cs_trimestral", "every_days": 90, "title": "Trimestral"},
        ],
    },
}


@pytest.fixture
def config() -> HealthConfig:
    return HealthConfig.model_validate(CONFIG)


def inputs(**overrides) -> HealthInputs:
    values = {
        "client": "hosp_a",
        "as_of": AS_OF,
        "reference_at": REF,
        "zone": "America/Sao_Paulo",
        "cs_owner": "ana.souza",
    }
    values.update(overrides)
    return HealthInputs(**values)


def flow(dataset: str, actual: list[int], expected: float = 100.0) -> DatasetFlow:
    days = tuple(AS_OF - timedelta(days=d) for d in range(7, 0, -1))
    return DatasetFlow(dataset, days, tuple(actual), tuple([expected] * 7))


def factor(score, name):
    return next(f for f in score.factors if f.name == name)


def test_the_shipped_weights_sum_to_100_and_bands_are_ordered():
    cfg = read_health(project_root())
    assert sum(cfg.weights.values()) == 100
    assert [b.name for b in cfg.bands] == ["green", "yellow", "red"]


def test_weights_not_summing_to_100_are_a_config_error(tmp_path):
    bad = dict(CONFIG, weights={**CONFIG["weights"], "freshness": 30})
    with pytest.raises(ValueError, match="sum to 100"):
        HealthConfig.model_validate(bad)
    (tmp_path / "assets" / "health").mkdir(parents=True)
    (tmp_path / "assets" / "health" / "score.yaml").write_text("weights: {freshness: 100}\n")
    with pytest.raises(ConfigError, match=r"score.yaml"):
        read_health(tmp_path)


def test_nothing_applies_without_loads_usage_or_checklist(config):
    score = compute_health(inputs(), config, previous=None)
    assert score.score is None and score.band is None
    assert all(not f.applies for f in score.factors)
    with pytest.raises(ValueError, match="nothing applies"):
        score.to_record()


def test_freshness_is_full_until_fresh_hours_then_linear_to_zero(config):
    def fresh(hours: float) -> float:
        run = make_run("L1", REF - timedelta(hours=hours))
        return factor(compute_health(inputs(runs=(run,)), config, None), "freshness").value

    assert fresh(10) == 1.0
    assert fresh(26) == 1.0
    assert fresh(50) == pytest.approx(0.5)
    assert fresh(74) == 0.0
    assert fresh(200) == 0.0


def test_freshness_counts_published_loads_only(config):
    runs = (
        make_run("L2", REF - timedelta(hours=2), status="failed", books={}),
        make_run("L1", REF - timedelta(hours=50)),
    )
    assert factor(
        compute_health(inputs(runs=runs), config, None), "freshness"
    ).value == pytest.approx(0.5)
    never = (make_run("L1", REF - timedelta(hours=2), status="failed", books={}),)
    assert factor(compute_health(inputs(runs=never), config, None), "freshness").value == 0.0


def test_only_applying_factors_count_and_weights_are_renormalised(config):
    run = make_run("L1", REF - timedelta(hours=50), books=ledger(encounters=(100, 90, 10, 0)))
    score = compute_health(inputs(runs=(run,)), config, None)
    applying = {f.name: f for f in score.factors if f.applies}
    assert set(applying) == {"freshness", "data_quality", "reconciliation"}
    assert sum(f.effective_weight for f in applying.values()) == pytest.approx(100)
    assert applying["freshness"].effective_weight == pytest.approx(25 / 55 * 100)
    # freshness 0.5, quality 0.9, reconciliation 1.0 over weights 25, 20, 10
    expected = (0.5 * 25 + 0.9 * 20 + 1.0 * 10) / 55 * 100
    assert score.score == pytest.approx(round(expected, 1))
    assert factor(score, "platform_use").effective_weight == 0


def test_a_failing_blocking_check_caps_data_quality(config):
    check = {
        "dataset": "encounters",
        "name": "volume_minimo",
        "level": "dataset",
        "blocking": True,
        "passed": False,
        "failing_count": 1,
    }
    run = make_run(
        "L1", REF, status="held", books=ledger(encounters=(100, 0, 0, 100)), checks=[check]
    )
    score = compute_health(inputs(runs=(run,)), config, None)
    quality = factor(score, "data_quality")
    assert quality.value == pytest.approx(0.0)
    run2 = make_run("L1", REF, books=ledger(encounters=(100, 99, 1, 0)), checks=[check])
    quality2 = factor(compute_health(inputs(runs=(run2,)), config, None), "data_quality")
    assert quality2.value == pytest.approx(0.2)
    assert "encounters.volume_minimo" in quality2.detail and "20%" in quality2.detail
    kinds = [a.kind for a in compute_health(inputs(runs=(run2,)), config, None).next_actions]
    assert "verificacao_bloqueante" in kinds


def test_reconciliation_is_the_share_of_recent_loads_that_close(config):
    runs = (
        make_run("L4", REF, books=ledger(encounters=(10, 9, 0, 0))),
        make_run("L3", REF - timedelta(days=1)),
        make_run("L2", REF - timedelta(days=2)),
        make_run("L1", REF - timedelta(days=3), books=ledger(encounters=(10, 1, 0, 0))),
    )
    rec = factor(compute_health(inputs(runs=runs), config, None), "reconciliation")
    assert rec.value == pytest.approx(2 / 3)  # only the last 3 loads are looked at
    assert rec.facts["unbalanced"] == {"L4": ["encounters"]}


@pytest.mark.parametrize(
    ("score_value", "band"),
    [(75.0, "green"), (74.9, "yellow"), (50.0, "yellow"), (49.9, "red"), (0, "red")],
)
def test_bands_follow_the_thresholds(config, score_value, band):
    assert config.band_for(score_value).name == band


def test_trend_against_the_previous_score(config):
    run = make_run("L1", REF)
    score = compute_health(inputs(runs=(run,)), config, previous=None).score
    assert score == 100.0
    assert compute_health(inputs(runs=(run,)), config, previous=None).trend is None
    assert compute_health(inputs(runs=(run,)), config, previous=98.0).trend == "flat"
    assert compute_health(inputs(runs=(run,)), config, previous=90.0).trend == "up"
    stale = make_run("L1", REF - timedelta(hours=100))
    down = compute_health(inputs(runs=(stale,)), config, previous=90.0)
    assert down.trend == "down" and down.previous_score == 90.0


def test_flow_collapse_of_one_dataset_is_flagged_and_counts_as_the_worst(config):
    steady = flow("exams", [100] * 7)
    collapsed = flow("encounters", [100, 100, 100, 100, 100, 0, 0])
    f = data_flow(inputs(flows=(steady, collapsed)), config)
    assert f.facts["collapsed"] == ["encounters"]
    assert f.value == 0.0  # the newest two days carry nothing
    assert "QUEDA BRUSCA" in f.detail
    actions = compute_health(inputs(flows=(steady, collapsed)), config, None).next_actions
    collapse = [a for a in actions if a.kind == "queda_volume_encounters"]
    assert collapse and collapse[0].owner == "integracao"
    assert collapse[0].due_date == AS_OF + timedelta(days=1)
    assert "TI do hospital" in collapse[0].reason


def test_flow_within_the_usual_pattern_is_full_and_a_dip_scales(config):
    assert data_flow(inputs(flows=(flow("exams", [85] * 7),)), config).value == 1.0
    dip = data_flow(inputs(flows=(flow("exams", [60] * 7),)), config)
    assert dip.value == pytest.approx(0.75) and dip.facts["collapsed"] == []


def test_an_incomplete_newest_day_alone_is_no_collapse(config):
    """The newest day may lack late records (the demo ERP's last day has few surgeries)."""
    short = data_flow(inputs(flows=(flow("surgeries", [100] * 6 + [20]),)), config)
    assert short.facts["collapsed"] == [] and short.value == 1.0
    both = data_flow(inputs(flows=(flow("surgeries", [100] * 5 + [40, 20]),)), config)
    assert both.facts["collapsed"] == ["surgeries"]


def test_datasets_without_enough_history_are_not_judged(config):
    f = data_flow(inputs(flows=(flow("surgeries", [0] * 7, expected=0.5),)), config)
    assert not f.applies


@pytest.mark.parametrize(
    ("used", "value", "kind"),
    [
        ({"dashboards", "process_maps", "reference_models", "reports"}, 1.0, None),
        ({"dashboards"}, 0.25, "uso_parcial"),
        (set(), 0.0, "uso_nenhum"),
    ],
)
def test_platform_use_all_some_none(config, used, value, kind):
    usage = UsageInputs(frozenset(used), AS_OF - timedelta(days=29), AS_OF)
    score = compute_health(inputs(usage=usage), config, None)
    assert factor(score, "platform_use").value == value
    usage_actions = [a for a in score.next_actions if a.kind.startswith("uso_")]
    if kind is None:
        assert usage_actions == []
    else:
        (action,) = usage_actions
        assert action.kind == kind and action.owner == "ana.souza"
        assert action.due_date == AS_OF + timedelta(days=3)
        assert "3 dias" in action.reason


def test_the_cs_owner_falls_back_to_the_default(config):
    usage = UsageInputs(frozenset(), AS_OF - timedelta(days=29), AS_OF)
    score = compute_health(inputs(usage=usage, cs_owner=""), config, None)
    assert {a.owner for a in score.next_actions} == {"cs"}


def test_stale_load_opens_an_integration_action(config):
    run = make_run("L1", REF - timedelta(hours=40))
    (action,) = [
        a
        for a in compute_health(inputs(runs=(run,)), config, None).next_actions
        if a.kind == "carga_atrasada"
    ]
    assert action.owner == "integracao" and "40,0 h" in action.reason


def test_every_factor_is_explained_in_the_record(config):
    run = make_run("L1", REF - timedelta(hours=1))
    usage = UsageInputs(frozenset({"dashboards"}), AS_OF - timedelta(days=29), AS_OF)
    record = compute_health(inputs(runs=(run,), usage=usage), config, 80.0).to_record()
    assert set(record.factors) == set(CONFIG["weights"])
    for name, f in record.factors.items():
        assert f["detail"], name
        assert f["weight"] == CONFIG["weights"][name]
    assert record.factors["platform_use"]["detail"].startswith("Módulos usados")
    assert record.previous_score == 80.0 and record.next_actions[0]["due_date"]


def test_computed_at_is_aware(config):
    score = compute_health(inputs(runs=(make_run("L1", REF),)), config, None)
    assert isinstance(score.computed_at, datetime) and score.computed_at.tzinfo is not None


def _checklist_with_training(day: date | None) -> ChecklistStatus:
    items = [
        ItemStatus("kickoff", 1, "Reunião de Kick-off", "cs", ("person",), "done", "ok"),
        ItemStatus(
            "data_sending",
            1,
            "Integração envio de dados",
            "integracao",
            ("automatic",),
            "in_progress",
            "faltam: billing.",
        ),
        ItemStatus(
            "training_1",
            3,
            "Treinamento I",
            "cs",
            ("person",),
            "done" if day else "pending",
            "",
            done_on=day,
        ),
    ]
    return ChecklistStatus("hosp_a", REF, tuple(items))


@pytest.mark.parametrize(
    ("days_after", "kinds"),
    [
        (2, []),
        (3, ["cs_contato_3d"]),
        (9, ["cs_contato_3d"]),
        (10, []),
        (90, ["cs_trimestral_1"]),
        (185, ["cs_trimestral_2"]),
    ],
)
def test_cs_cadence_counts_from_the_first_training(config, days_after, kinds):
    training = AS_OF - timedelta(days=days_after)
    usage = UsageInputs(
        frozenset(CONFIG["platform_use"]["modules"]), AS_OF - timedelta(days=29), AS_OF
    )
    score = compute_health(
        inputs(checklist=_checklist_with_training(training), usage=usage), config, None
    )
    cadence = [a for a in score.next_actions if a.kind.startswith("cs_")]
    assert [a.kind for a in cadence] == kinds
    for action in cadence:
        assert action.once and action.owner == "ana.souza" and action.due_date <= AS_OF
        assert "pesquisa de satisfação" in action.reason  # every module in use


def test_no_cadence_before_the_first_training(config):
    score = compute_health(inputs(checklist=_checklist_with_training(None)), config, None)
    assert not [a for a in score.next_actions if a.kind.startswith("cs_")]


def test_the_next_checklist_item_is_an_action_for_its_owner(config):
    score = compute_health(inputs(checklist=_checklist_with_training(None)), config, None)
    (action,) = [a for a in score.next_actions if a.kind.startswith("checklist_")]
    assert action.kind == "checklist_data_sending" and action.owner == "integracao"
    assert action.due_date == AS_OF + timedelta(days=7) and "faltam: billing" in action.reason
    impl = factor(score, "implementation")
    assert impl.value == pytest.approx(1 / 3) and "1 de 3 itens" in impl.detail
