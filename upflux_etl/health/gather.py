"""Reads what the health score needs, as of one day, from the warehouse and the state store."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from upflux_etl.catalog.checklist import Rounds
from upflux_etl.catalog.health import FlowConfig, HealthConfig
from upflux_etl.catalog.models import CanonicalModel, ClientSpec, DatasetSpec
from upflux_etl.checklist.status import checklist_status
from upflux_etl.health.inputs import DatasetFlow, HealthInputs, UsageInputs
from upflux_etl.state.records import RunRecord
from upflux_etl.state.store import StateStore
from upflux_etl.warehouse.files import has_table, insert_rows, scalar
from upflux_etl.warehouse.parts import event_days


def reference_instant(as_of: date, zone: ZoneInfo, now: datetime) -> datetime:
    """The instant a day is scored at: its end in the hospital's zone, or now if earlier."""
    end_of_day = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=zone)
    return min(end_of_day, now)


def gather_inputs(
    warehouse: duckdb.DuckDBPyConnection | None,
    store: StateStore,
    client: ClientSpec,
    canonical: CanonicalModel,
    as_of: date,
    *,
    config: HealthConfig | None = None,
    rounds: Rounds | None = None,
    now: datetime | None = None,
    replay: bool = False,
) -> HealthInputs:
    """Everything known about `client` as of `as_of`; nothing later is read.

    Args:
        warehouse: the hospital's DuckDB warehouse, its TimeZone set to the hospital's zone
            (None: no volume or usage factors).
        store: the state store (runs, checklist events).
        client: the hospital.
        canonical: the canonical model (which datasets carry an event column).
        as_of: the day scored.
        config: the health settings (windows); None: the defaults.
        rounds: the checklist; None: the implementation factor does not apply.
        now: the current instant (default: the clock), bounding today's reference instant.
        replay: backfilling history: the ERP rows dated up to `as_of` existed that day, so the
            volume and usage factors are judged from them even before our first load (the
            factors that depend on our loads still wait for a load).
    """
    at = reference_instant(as_of, client.zone, now or datetime.now(UTC))
    every_run = store.runs(client.slug)
    runs = tuple(r for r in every_run if r.ended_at <= at)
    flow_cfg = config.data_flow if config else FlowConfig()
    usage_window = config.platform_use.window_days if config else 30
    # The warehouse holds data loaded later too: before the first published load, nothing in
    # it was known yet, so the volume and usage factors are left out for that day.
    known = warehouse if replay or any(r.status == "published" for r in runs) else None
    checklist = None
    if rounds is not None:
        events = [e for e in store.checklist_events(client.slug) if e.recorded_at <= at]
        if runs or events:
            checklist = checklist_status(client, store, warehouse, rounds, at=at)
    return HealthInputs(
        client=client.slug,
        as_of=as_of,
        reference_at=at,
        zone=client.timezone,
        segment=client.segment,
        cs_owner=client.cs_owner,
        runs=runs,
        flows=tuple(_flows(known, canonical, _flow_end(as_of, every_run, client), flow_cfg))
        if known is not None
        else (),
        usage=_usage(known, as_of, usage_window) if known is not None else None,
        checklist=checklist,
    )


def _flow_end(as_of: date, runs: list[RunRecord], client: ClientSpec) -> date:
    """The day before which the warehouse's days are complete, at most `as_of`.

    The warehouse holds what its newest published load extracted: the day that load started
    on was cut at that instant, so it is not judged (a load at 15:00 would otherwise read as
    half a day of missing exams the next morning).
    """
    published = [r.started_at for r in runs if r.status in ("published", "held")]
    if not published:
        return as_of
    return min(as_of, max(published).astimezone(client.zone).date())


def _flows(
    con: duckdb.DuckDBPyConnection, canonical: CanonicalModel, as_of: date, cfg: FlowConfig
) -> list[DatasetFlow]:
    flows = []
    for spec in canonical.datasets.values():
        judged = spec.event_column and spec.source == "erp" and spec.name not in cfg.not_judged
        if judged and has_table(con, "main", spec.name):
            flows.append(_flow(con, spec, as_of, cfg))
    return flows


def _flow(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, as_of: date, cfg: FlowConfig
) -> DatasetFlow:
    # Judged days: the complete days before `as_of`; baseline: the same weekdays 1..N weeks back.
    days = [as_of - timedelta(days=d) for d in range(cfg.window_days, 0, -1)]
    first = days[0] - timedelta(weeks=cfg.baseline_weeks)
    rows = con.execute(
        f"select day, n from {_daily(con, spec)} where day between ? and ?", [first, days[-1]]
    ).fetchall()
    volume = {day: int(n) for day, n in rows}
    expected = tuple(
        sum(volume.get(d - timedelta(weeks=w), 0) for w in range(1, cfg.baseline_weeks + 1))
        / cfg.baseline_weeks
        for d in days
    )
    return DatasetFlow(
        dataset=spec.name,
        days=tuple(days),
        actual=tuple(volume.get(d, 0) for d in days),
        expected=expected,
    )


def _daily(con: duckdb.DuckDBPyConnection, spec: DatasetSpec) -> str:
    """A temporary table of the dataset's rows per day, counted once per connection.

    A backfill scores thirty days on one read-only connection, whose rows do not change. A
    dataset kept as Parquet parts is counted by its counters (`event_days`: each part's days
    counted once, by the load that wrote it, less its removed rows); another is scanned once.
    """
    name = f"_daily_{spec.name}"
    table = f'"{name}"'
    made = "select count(*) from duckdb_tables() where database_name = 'temp' and table_name = ?"
    if scalar(con, made, [name]):
        return f"temp.main.{table}"
    days = event_days(con, spec.name, str(spec.event_column))
    if days is None:
        con.execute(
            f"create temp table {table} as "
            f'select cast("{spec.event_column}" as date) as day, count(*) as n '
            f'from main."{spec.name}" group by 1'
        )
    else:
        con.execute(f"create temp table {table} (day date, n bigint)")
        insert_rows(con, f"temp.main.{table}", [[d, n] for d, n in days.items() if d])
    return f"temp.main.{table}"


def _usage(con: duckdb.DuckDBPyConnection, as_of: date, window_days: int) -> UsageInputs | None:
    if not has_table(con, "main", "platform_usage"):
        return None
    if not scalar(con, "select count(*) from main.platform_usage where usage_date <= ?", [as_of]):
        return None
    start = as_of - timedelta(days=window_days - 1)
    rows = con.execute(
        """
        select distinct module
        from main.platform_usage
        where usage_date between ? and ?
          and (coalesce(actions, 0) > 0 or coalesce(logins, 0) > 0
               or (actions is null and logins is null))
        """,
        [start, as_of],
    ).fetchall()
    return UsageInputs(
        modules_used=frozenset(r[0] for r in rows), window_start=start, window_end=as_of
    )
