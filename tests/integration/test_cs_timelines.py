"""Customer Success over simulated timelines: nightly loads and records come in day by day,
the health functions score each night, on a real SQLite and a real PostgreSQL state store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.test_state_postgres import PG_URL, _unreachable
from tests.unit.test_state_support import (
    canonical,
    ledger,
    make_client,
    make_run,
    make_warehouse,
    utc,
)
from upflux_etl.catalog.reader import read_health, read_rounds
from upflux_etl.checklist import checklist_status, record_checklist
from upflux_etl.health import recompute_day, score_client
from upflux_etl.health.view import open_actions
from upflux_etl.settings import project_root
from upflux_etl.state import StateStore

MODULES = ("dashboards", "process_maps", "reference_models", "reports")
DATASETS = (
    "patients", "encounters", "er_visits", "bed_movements", "beds", "exams", "surgeries",
    "surgery_rooms", "billing",
)  # fmt: skip
SHA = "cd" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Iterator[StateStore]:
    if request.param == "sqlite":
        with StateStore(f"sqlite:///{tmp_path / 'state.sqlite'}") as s:
            yield s
        return
    problem = _unreachable(PG_URL)
    if problem:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL} ({problem})")
    schema = f"upflux_cs_test_{uuid.uuid4().hex[:12]}"
    with StateStore(PG_URL, schema=schema) as s:
        yield s
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
    engine.dispose()


@pytest.fixture
def model():
    return canonical()


@pytest.fixture
def config():
    return read_health(project_root())


@pytest.fixture
def rounds():
    return read_rounds(project_root())


def noon(day: date) -> datetime:
    """12:00 in Sao Paulo."""
    return utc(day.year, day.month, day.day, 15)


def nightly(day: date) -> datetime:
    """02:10 in Sao Paulo."""
    return utc(day.year, day.month, day.day, 5, 10)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def warehouse(tmp_path, model, *, exams_stop: tuple[date, date] | None = None, usage=None):
    """Encounters 20 a day and exams 10 a day from Aug 1 (exams none in `exams_stop`);
    `usage`: {day: modules used} (a module listed with no activity when the set is empty)."""
    con = make_warehouse(tmp_path / "warehouse.duckdb", model)
    con.execute(
        """
        insert into main.encounters
            (encounter_id, patient_key, encounter_type, status, admitted_at, updated_at)
        select 'E' || d::date || '-' || i, 'pk', 'inpatient', 'active',
               (d::timestamp + interval 10 hour)::timestamptz, now()
        from range(date '2026-08-01', date '2027-01-01', interval 1 day) as t(d), range(20) as s(i)
        """
    )
    stop_from, stop_to = exams_stop or (date(2100, 1, 1), date(2100, 1, 1))
    con.execute(
        """
        insert into main.exams (order_id, encounter_id, exam_kind, priority, ordered_at, updated_at)
        select 'X' || d::date || '-' || i, 'E1', 'lab', 'routine',
               (d::timestamp + interval 9 hour)::timestamptz, now()
        from range(date '2026-08-01', date '2027-01-01', interval 1 day) as t(d), range(10) as s(i)
        where not (d::date between ? and ?)
        """,
        [stop_from, stop_to],
    )
    for day, used in (usage or {}).items():
        for module in MODULES:
            active = module in used
            con.execute(
                "insert into main.platform_usage (user_key, usage_date, module, logins, actions) "
                "values ('u1', ?, ?, ?, ?)",
                [day, module, int(active), 3 if active else 0],
            )
    return con


def night(con, store, client, model, config, day, *, status="published", rounds=None, **run):
    """The nightly load of `day` (02:10 local), then the health score of `day` at noon."""
    if status is not None:
        store.record_run(
            make_run(f"L{day:%m%d}", nightly(day), client=client.slug, status=status, **run)
        )
    return score_client(con, store, client, model, config, rounds=rounds, as_of=day, now=noon(day))


def live(store, slug, kind, day):
    return [a for a in open_actions(store.actions(slug), day) if a.kind == kind]


def test_exams_stopping_for_five_days_open_one_contact_hospital_it_action(
    tmp_path, store, model, config
):
    stop = (date(2026, 10, 25), date(2026, 10, 29))
    con = warehouse(tmp_path, model, exams_stop=stop)
    client = make_client()
    scores = {
        d: night(con, store, client, model, config, d)
        for d in days(date(2026, 10, 18), date(2026, 10, 30))
    }
    # Judged: the complete days before the score's day; the 2 newest alone collapse on Oct 27.
    assert "queda_volume_exams" not in {a.kind for a in scores[date(2026, 10, 26)].next_actions}
    assert "queda_volume_exams" in {a.kind for a in scores[date(2026, 10, 27)].next_actions}
    (action,) = [a for a in store.actions("hosp_a") if a.kind == "queda_volume_exams"]
    assert action.status == "open" and action.owner == "integracao"
    assert action.due_date == date(2026, 10, 28)  # detected Oct 27, hospital IT by the next day
    assert "contatar a TI do hospital" in action.reason
    # the band the rules say: freshness, quality and reconciliation full, the flow at zero,
    # no platform usage data and no checklist (left out, weights renormalised)
    day5 = scores[date(2026, 10, 30)]
    weights = config.weights
    expected = round(
        100
        * (weights["freshness"] + weights["data_quality"] + weights["reconciliation"])
        / (100 - weights["platform_use"] - weights["implementation"]),
        1,
    )
    assert day5.score == expected and day5.band == config.band_for(expected).name == "yellow"
    assert [f.value for f in day5.factors if f.name == "data_flow"] == [0.0]
    assert day5.trend == "flat" and scores[date(2026, 10, 27)].trend == "down"


def test_a_hospital_whose_loads_all_fail_gets_contact_hospital_it(tmp_path, store, model, config):
    client = make_client()
    for day in days(date(2026, 10, 20), date(2026, 10, 22)):
        score = night(
            None, store, client, model, config, day, status="failed", connection_ok=False, books={}
        )
    assert score.band == "red"
    (action,) = live(store, "hosp_a", "carga_falhando", date(2026, 10, 22))
    assert action.owner == "integracao" and action.due_date == date(2026, 10, 21)
    assert "3 carga(s) seguida(s) falharam" in action.reason
    assert "contatar a TI do hospital" in action.reason
    assert "sem conexão com o banco do ERP" in action.reason
    assert not live(store, "hosp_a", "carga_atrasada", date(2026, 10, 22))  # one action, not two


def test_loads_that_start_failing_raise_the_action_the_first_night(tmp_path, store, model, config):
    client = make_client()
    for day in days(date(2026, 10, 20), date(2026, 10, 24)):
        night(None, store, client, model, config, day)
    assert not live(store, "hosp_a", "carga_falhando", date(2026, 10, 24))
    night(None, store, client, model, config, date(2026, 10, 25), status="failed", books={})
    (action,) = live(store, "hosp_a", "carga_falhando", date(2026, 10, 25))
    assert action.due_date == date(2026, 10, 26)


def _trained(store, rounds, day: date, slug="hosp_a"):
    record_checklist(
        store,
        rounds,
        slug,
        "kickoff",
        "done",
        "ana",
        details={"date": "2026-09-20"},
        recorded_at=noon(date(2026, 9, 21)),
    )
    record_checklist(
        store, rounds, slug, "training_1", "done", "ana",
        details={"date": day.isoformat(), "attendees": ["Dra. Lia", "Enf. Rui"]},
        recorded_at=noon(day),
    )  # fmt: skip


def test_every_module_used_brings_the_satisfaction_survey_at_each_follow_up(
    tmp_path, store, model, config, rounds
):
    usage = {d: set(MODULES) for d in days(date(2026, 9, 1), date(2026, 11, 10))}
    con = warehouse(tmp_path, model, usage=usage)
    client = make_client(segment="small")
    _trained(store, rounds, date(2026, 10, 5))
    for day in days(date(2026, 10, 5), date(2026, 11, 5)):
        night(con, store, client, model, config, day, rounds=rounds)
    by_kind = {a.kind: a for a in store.actions("hosp_a")}
    three_days, month = by_kind["cs_contato_3d"], by_kind["cs_acompanhamento_1m"]
    assert three_days.due_date == date(2026, 10, 8) and month.due_date == date(2026, 11, 4)
    for action in (three_days, month):
        assert "pesquisa de satisfação" in action.reason and "mais treinamentos" in action.reason
        assert "treinamento em grupo" in action.reason  # a small hospital trains in groups
        assert action.owner == "ana.souza"
    assert "uso_nenhum" not in by_kind and "uso_parcial" not in by_kind
    created = {a.kind: a.created_at for a in store.actions("hosp_a")}
    assert len(created) == len(store.actions("hosp_a"))  # raised once each


def test_no_module_used_brings_personalised_retraining(tmp_path, store, model, config):
    usage = {d: set() for d in days(date(2026, 10, 1), date(2026, 10, 20))}
    con = warehouse(tmp_path, model, usage=usage)
    client = make_client(segment="enterprise")
    night(con, store, client, model, config, date(2026, 10, 20))
    (action,) = live(store, "hosp_a", "uso_nenhum", date(2026, 10, 20))
    assert (
        "retreinamento personalizado" in action.reason and "treinamento individual" in action.reason
    )
    assert "verificar o uso novamente em 3 dias" in action.reason
    assert action.owner == "ana.souza" and action.due_date == date(2026, 10, 23)


def test_a_snoozed_action_stays_quiet_until_its_date(tmp_path, store, model, config):
    usage = {d: set() for d in days(date(2026, 10, 1), date(2026, 10, 31))}
    con = warehouse(tmp_path, model, usage=usage)
    client = make_client()
    night(con, store, client, model, config, date(2026, 10, 20))
    (action,) = live(store, "hosp_a", "uso_nenhum", date(2026, 10, 20))
    store.set_action_status(
        action.id,
        "snoozed",
        "hospital em auditoria",
        "ana",
        due_date=date(2026, 10, 25),
        at=noon(date(2026, 10, 20)),
    )
    for day in days(date(2026, 10, 21), date(2026, 10, 24)):
        night(con, store, client, model, config, day)
        assert live(store, "hosp_a", "uso_nenhum", day) == []
        assert len(store.actions("hosp_a")) == 1 + len(
            [a for a in store.actions("hosp_a") if a.kind != "uso_nenhum"]
        )
    night(con, store, client, model, config, date(2026, 10, 25))
    (woke,) = live(store, "hosp_a", "uso_nenhum", date(2026, 10, 25))
    assert woke.id == action.id and woke.status == "open"


def test_a_done_action_returns_only_when_its_cause_returns(tmp_path, store, model, config):
    client = make_client()
    failing = {"status": "failed", "books": {}, "connection_ok": False}
    for day in days(date(2026, 10, 20), date(2026, 10, 21)):
        night(None, store, client, model, config, day)
    night(None, store, client, model, config, date(2026, 10, 22), **failing)
    (first,) = live(store, "hosp_a", "carga_falhando", date(2026, 10, 22))
    store.set_action_status(
        first.id, "done", "VPN reiniciada pela TI", "bruno", at=noon(date(2026, 10, 22))
    )
    # still failing the next night: the cause never went away, the action stays done
    night(None, store, client, model, config, date(2026, 10, 23), **failing)
    assert live(store, "hosp_a", "carga_falhando", date(2026, 10, 23)) == []
    done = store.action(first.id)
    assert (done.status, done.updated_by, done.status_reason) == (
        "done",
        "bruno",
        "VPN reiniciada pela TI",
    )
    night(None, store, client, model, config, date(2026, 10, 24))  # published: cause gone
    assert store.action(first.id).cleared_on == date(2026, 10, 24)
    assert live(store, "hosp_a", "carga_falhando", date(2026, 10, 24)) == []
    night(None, store, client, model, config, date(2026, 10, 25), **failing)  # the cause returns
    (again,) = live(store, "hosp_a", "carga_falhando", date(2026, 10, 25))
    assert again.id != first.id and again.due_date == date(2026, 10, 26)
    assert [a.status for a in store.actions("hosp_a") if a.kind == "carga_falhando"] == [
        "done",
        "open",
    ]


def test_a_dismissed_action_stays_away_while_its_cause_lasts(tmp_path, store, model, config):
    client = make_client()
    failing = {"status": "failed", "books": {}}
    night(None, store, client, model, config, date(2026, 10, 22), **failing)
    (first,) = live(store, "hosp_a", "carga_falhando", date(2026, 10, 22))
    store.set_action_status(first.id, "dismissed", "hospital em migração de ERP", "ana")
    for day in days(date(2026, 10, 23), date(2026, 10, 26)):
        night(None, store, client, model, config, day, **failing)
    assert live(store, "hosp_a", "carga_falhando", date(2026, 10, 26)) == []


def test_the_checklist_of_an_implementation_advances_item_by_item(tmp_path, store, model, rounds):
    client = make_client()

    def state(day: date) -> dict[str, str]:
        status = checklist_status(client, store, None, rounds, at=noon(day) + timedelta(hours=1))
        return {i.id: i.status for i in status.items}

    start = date(2026, 9, 1)
    assert set(state(start).values()) == {"pending"}
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "kickoff",
        "done",
        "ana",
        details={"date": "2026-09-01"},
        recorded_at=noon(start),
    )
    assert state(start)["kickoff"] == "done" and state(start)["integration_alignment"] == "pending"
    day = date(2026, 9, 2)
    record_checklist(
        store, rounds, "hosp_a", "integration_alignment", "done", "bruno", recorded_at=noon(day)
    )
    assert state(day)["integration_alignment"] == "in_progress"  # no connection proven yet
    store.record_run(
        make_run("L0903a", nightly(date(2026, 9, 3)), books=ledger(encounters=(10, 10, 0, 0)))
    )
    after = state(date(2026, 9, 3))
    assert after["integration_alignment"] == "done" and after["data_sending"] == "in_progress"
    store.record_run(
        make_run(
            "L0904",
            nightly(date(2026, 9, 4)),
            books=ledger(**{d: (10, 10, 0, 0) for d in DATASETS}),
            report_sha256=SHA,
        )
    )
    after = state(date(2026, 9, 4))
    assert after["data_sending"] == "done" and after["initial_validation"] == "done"
    assert after["data_validated"] == "in_progress"
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "training_schedule",
        "done",
        "ana",
        details={"dates": ["2026-09-20", "2026-09-27"]},
        recorded_at=noon(date(2026, 9, 5)),
    )
    assert state(date(2026, 9, 5))["training_schedule"] == "done"
    for d in (6, 7):
        store.record_run(
            make_run(
                f"L09{d:02}",
                nightly(date(2026, 9, d)),
                books=ledger(**{x: (10, 10, 0, 0) for x in DATASETS}),
                indicators={"occupancy_rate": 30, "door_to_triage": 30},
            )
        )
    assert state(date(2026, 9, 7))["platform_configured"] == "done"
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "data_validated",
        "done",
        "ti.hospital",
        details={"report_sha256": SHA},
        recorded_at=noon(date(2026, 9, 7)),
    )
    assert state(date(2026, 9, 7))["data_validated"] == "done"
    assert state(date(2026, 9, 6))["data_validated"] == "in_progress"  # the past is unchanged
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "training_1",
        "done",
        "ana",
        details={"date": "2026-09-20", "attendees": ["Lia"]},
        recorded_at=noon(date(2026, 9, 20)),
    )
    done_by_day = [
        sum(s == "done" for s in state(d).values()) for d in days(start, date(2026, 9, 20))
    ]
    assert done_by_day == sorted(done_by_day) and done_by_day[-1] == 8


def test_a_corrected_record_keeps_both_entries_and_the_past_uses_the_first(
    tmp_path, store, model, config, rounds
):
    con = warehouse(tmp_path, model)
    client = make_client()
    for day in days(date(2026, 10, 1), date(2026, 10, 25)):
        store.record_run(make_run(f"L{day:%m%d}", nightly(day)))
    _trained(store, rounds, date(2026, 10, 5))
    record_checklist(
        store, rounds, "hosp_a", "training_1", "done", "bia",
        details={"date": "2026-10-03", "attendees": ["Dra. Lia"]}, note="data corrigida",
        recorded_at=noon(date(2026, 10, 20)),
    )  # fmt: skip
    item = checklist_status(client, store, None, rounds, at=noon(date(2026, 10, 21))).item(
        "training_1"
    )
    assert [e.details["date"] for e in item.history] == ["2026-10-05", "2026-10-03"]
    assert "Realizado em 03/10/2026" in item.evidence
    assert (
        "Registros anteriores (corrigidos): ana em 05/10/2026: realizado em 05/10/2026"
        in item.evidence
    )
    past = recompute_day(
        con,
        store,
        client,
        model,
        config,
        date(2026, 10, 10),
        rounds=rounds,
        now=noon(date(2026, 10, 26)),
    )
    (contact,) = [a for a in past.next_actions if a.kind == "cs_contato_3d"]
    assert contact.due_date == date(2026, 10, 8) and "contado de 05/10/2026" in contact.reason
    later = recompute_day(
        con,
        store,
        client,
        model,
        config,
        date(2026, 10, 10),
        rounds=rounds,
        now=noon(date(2026, 10, 26)),
    )
    assert later.next_actions == past.next_actions  # recomputing is repeatable
    now = recompute_day(
        con,
        store,
        client,
        model,
        config,
        date(2026, 10, 21),
        rounds=rounds,
        now=noon(date(2026, 10, 26)),
    )
    assert store.health_history("hosp_a") == []  # recomputing records nothing
    assert now.as_of == date(2026, 10, 21)


@pytest.mark.parametrize(
    ("details", "status", "message"),
    [
        ({"date": "ontem"}, "done", "'ontem' não é uma data válida; use o formato AAAA-MM-DD"),
        ({"date": "2026-13-45"}, "done", "'2026-13-45' não é uma data válida"),
        ({"date": "05/10/2026"}, "done", "formato AAAA-MM-DD"),
        ({"date": "2026-11-02"}, "done", "2026-11-02 está no futuro"),
    ],
)
def test_invalid_dates_are_refused_with_a_clear_message(store, rounds, details, status, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        record_checklist(
            store,
            rounds,
            "hosp_a",
            "kickoff",
            status,
            "ana",
            details=details,
            recorded_at=noon(date(2026, 11, 1)),
        )
    assert store.checklist_events("hosp_a") == []


def test_a_future_date_is_fine_for_what_is_scheduled_and_order_is_kept(store, rounds):
    at = noon(date(2026, 10, 1))
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "kickoff",
        "scheduled",
        "ana",
        details={"date": "2026-10-10"},
        recorded_at=at,
    )
    record_checklist(
        store,
        rounds,
        "hosp_a",
        "kickoff",
        "done",
        "ana",
        details={"date": "2026-09-30"},
        recorded_at=at,
    )
    with pytest.raises(
        ValueError, match="training_1 em 2026-09-29 fora de ordem com kickoff em 2026-09-30"
    ):
        record_checklist(
            store,
            rounds,
            "hosp_a",
            "training_1",
            "done",
            "ana",
            details={"date": "2026-09-29", "attendees": ["Lia"]},
            recorded_at=at,
        )
    with pytest.raises(ValueError, match="dates: '2026-02-30' não é uma data válida"):
        record_checklist(
            store,
            rounds,
            "hosp_a",
            "training_schedule",
            "done",
            "ana",
            details={"dates": ["2026-10-20", "2026-02-30"]},
            recorded_at=at,
        )


def test_the_ui_metadata_reads_like_the_cli(tmp_path, store, model, config):
    from upflux_etl.health.view import health_metadata, health_view

    client = make_client()
    for day in days(date(2026, 10, 20), date(2026, 10, 22)):
        night(None, store, client, model, config, day, status="failed", books={})
    (record,) = store.health_history("hosp_a")[-1:]
    actions = open_actions(store.actions("hosp_a"), date(2026, 10, 22))
    meta = health_metadata(record.score, record.band, record.previous_score, record.trend, actions)
    cli = health_view(
        record, store.health_history("hosp_a"), store.actions("hosp_a"), date(2026, 10, 22)
    )
    assert meta["trend"] == cli["trend_text"] == "estável (antes 0,0)"
    assert meta["next_actions"] == cli["next_actions"]
    assert "carga_falhando" in meta["actions_md"] and "Nenhuma" not in meta["actions_md"]
    assert len(cli["history"]) == 3
