"""Scoring a hospital: gather, compute, record the day and upsert its open actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb

from upflux_etl.catalog.checklist import Rounds
from upflux_etl.catalog.health import HealthConfig
from upflux_etl.catalog.models import CanonicalModel, ClientSpec
from upflux_etl.health.gather import gather_inputs
from upflux_etl.health.score import HealthScore, compute_health
from upflux_etl.state.store import StateStore


def score_client(
    warehouse: duckdb.DuckDBPyConnection | None,
    store: StateStore,
    client: ClientSpec,
    canonical: CanonicalModel,
    config: HealthConfig,
    *,
    rounds: Rounds | None = None,
    as_of: date | None = None,
    now: datetime | None = None,
    upsert_actions: bool = True,
    replay: bool = False,
) -> HealthScore:
    """Score `client` as of `as_of` (default: today in its zone) and keep the result.

    The score replaces any earlier one of the same day. Nothing is recorded when no factor
    applies yet. Open actions are upserted by (client, kind), so a rerun adds none. When the
    day before was never scored, it is first recomputed from what was known that day, so the
    trend of the first score of a night is the trend every later reader sees.
    """
    now = now or datetime.now(UTC)
    as_of = as_of or now.astimezone(client.zone).date()
    if upsert_actions and not replay:
        _score_day_before(warehouse, store, client, canonical, config, rounds, as_of, now)
    inputs = gather_inputs(
        warehouse,
        store,
        client,
        canonical,
        as_of,
        config=config,
        rounds=rounds,
        now=now,
        replay=replay,
    )
    previous = store.health_before(client.slug, as_of)
    score = compute_health(inputs, config, previous)
    if score.score is None:
        return score
    store.record_health(score.to_record())
    if upsert_actions:
        for action in score.next_actions:
            store.upsert_open_action(
                client.slug,
                action.kind,
                action.reason,
                action.owner,
                action.due_date,
                updated_by="health",
                as_of=as_of,
                once=action.once,
            )
        store.clear_absent_actions(client.slug, {a.kind for a in score.next_actions}, as_of)
    return score


def _score_day_before(
    warehouse: duckdb.DuckDBPyConnection | None,
    store: StateStore,
    client: ClientSpec,
    canonical: CanonicalModel,
    config: HealthConfig,
    rounds: Rounds | None,
    as_of: date,
    now: datetime,
) -> None:
    yesterday = as_of - timedelta(days=1)
    earlier = store.health_before(client.slug, as_of)
    if earlier is not None and earlier.as_of == yesterday:
        return
    score_client(
        warehouse,
        store,
        client,
        canonical,
        config,
        rounds=rounds,
        as_of=yesterday,
        now=now,
        upsert_actions=False,
        replay=True,
    )


def fill_history(
    warehouse: duckdb.DuckDBPyConnection | None,
    store: StateStore,
    client: ClientSpec,
    canonical: CanonicalModel,
    config: HealthConfig,
    *,
    rounds: Rounds | None = None,
    days: int = 30,
    now: datetime | None = None,
) -> HealthScore:
    """Score today (opening its actions) after recomputing every unscored day before it.

    The days filled are those since the first recorded day (at most `days` back; with no
    history, the last `days` days), each from the load history and the manual records known
    that day. Days already recorded keep what was known when they were scored.

    Returns:
        Today's score.
    """
    now = now or datetime.now(UTC)
    today = now.astimezone(client.zone).date()
    recorded = {h.as_of for h in store.health_history(client.slug)}
    start = today - timedelta(days=days - 1)
    if recorded:
        start = max(start, min(recorded))
    day = start
    while day < today:
        if day not in recorded:
            score_client(
                warehouse,
                store,
                client,
                canonical,
                config,
                rounds=rounds,
                as_of=day,
                now=now,
                upsert_actions=False,
                replay=True,
            )
        day += timedelta(days=1)
    return score_client(
        warehouse, store, client, canonical, config, rounds=rounds, as_of=today, now=now
    )


def recompute_day(
    warehouse: duckdb.DuckDBPyConnection | None,
    store: StateStore,
    client: ClientSpec,
    canonical: CanonicalModel,
    config: HealthConfig,
    as_of: date,
    *,
    rounds: Rounds | None = None,
    now: datetime | None = None,
) -> HealthScore:
    """A past day's score as it was knowable then, from the load history; nothing recorded.

    Manual checklist records count as they were known at the end of that day: a later
    correction does not change the past.
    """
    inputs = gather_inputs(
        warehouse,
        store,
        client,
        canonical,
        as_of,
        config=config,
        rounds=rounds,
        now=now or datetime.now(UTC),
        replay=True,
    )
    previous = store.health_before(client.slug, as_of)
    return compute_health(inputs, config, previous)


def backfill(
    warehouse: duckdb.DuckDBPyConnection | None,
    store: StateStore,
    client: ClientSpec,
    canonical: CanonicalModel,
    config: HealthConfig,
    *,
    rounds: Rounds | None = None,
    days: int = 30,
    now: datetime | None = None,
) -> list[HealthScore]:
    """One score per day from today-(days-1) to today, each from what was known that day.

    A past day is replayed from the ERP rows dated up to it (data flow, platform use); the
    factors that depend on our own loads (freshness, quality, reconciliation) apply only from
    the first load on. Days where nothing applies are not recorded; only today's actions are
    upserted, so the past does not open actions about problems that may be long solved.
    """
    now = now or datetime.now(UTC)
    today = now.astimezone(client.zone).date()
    scores = []
    for back in range(days - 1, -1, -1):
        scores.append(
            score_client(
                warehouse,
                store,
                client,
                canonical,
                config,
                rounds=rounds,
                as_of=today - timedelta(days=back),
                now=now,
                upsert_actions=back == 0,
                replay=True,
            )
        )
    return [s for s in scores if s.score is not None]
