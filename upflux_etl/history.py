"""`upflux run CLIENT --history`: a first historical load, one published load per period.

The periods (`pipeline/history.py`) run one after the other, each a normal load of the
hospital's job (writer lock, full validation, publication, indicators, report) with its
window in a run tag. The publication of a period records it in `meta.history` of the
warehouse it publishes, so running the same command again after a failure in period k starts
at period k: periods 1..k-1 are published and not loaded again. After the last period the
nightly incremental load carries on from the last period's end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import ClientSpec
from upflux_etl.pipeline.history import HistoryWindow, plan_periods
from upflux_etl.settings import Settings
from upflux_etl.warehouse.files import WarehouseFiles, connect
from upflux_etl.warehouse.meta.history import PublishedPeriod, published_periods


@dataclass(frozen=True)
class HistoryPlan:
    """The periods of one history and those already published."""

    since: dt.date
    period: str
    periods: list[HistoryWindow]
    published: list[PublishedPeriod]
    # The end asked for (--until); None: today, and a history already run to its last
    # period is over (the nightly has taken over).
    until: dt.date | None = None

    @property
    def over(self) -> bool:
        """Whether a last period was published and no later end is asked for."""
        ends = [p.end for p in self.published if p.number == p.total]
        return bool(ends) and (self.until is None or self.until.isoformat() <= max(ends))

    @property
    def finished(self) -> bool:
        """Whether nothing is left to load."""
        return not self.pending

    @property
    def pending(self) -> list[HistoryWindow]:
        """The periods still to load, from the first one not published.

        A later `until` extends a history: its periods already published keep their number
        and start, and the first new period reads from the watermark where the last one ended.
        """
        if self.over:
            return []
        done = {(p.number, p.start) for p in self.published}
        for i, window in enumerate(self.periods):
            if (window.number, window.start) not in done:
                return self.periods[i:]
        return []


@dataclass
class HistoryRun:
    """What one `--history` command did: the periods it ran, the last run's result."""

    plan: HistoryPlan
    ran: list[HistoryWindow] = field(default_factory=list)
    result: dg.ExecuteInProcessResult | None = None

    @property
    def success(self) -> bool:
        """Whether every period it ran was loaded and published."""
        return self.result is None or self.result.success


def history_options(
    client: ClientSpec, since: dt.date | None, period: str | None
) -> tuple[dt.date, str]:
    """The history's first day and period: the command line's, else the client file's.

    Raises:
        ConfigError: neither gives a first day.
    """
    since = since or client.history.since
    if since is None:
        raise ConfigError(
            client.file,
            "history.since",
            "a historical load needs its first day: --since YYYY-MM-DD or `history: {since: "
            "YYYY-MM-DD}` in the client file",
        )
    return since, period or client.history.period


def plan_history(
    settings: Settings,
    client: ClientSpec,
    *,
    since: dt.date,
    period: str,
    until: dt.date | None = None,
) -> HistoryPlan:
    """The history's periods and the ones the published warehouse already holds.

    The last period ends at `until` (default: today in the hospital's zone).

    Raises:
        ValueError: an unknown period or `since` not before `until`.
    """
    periods = plan_periods(since, period, until or dt.datetime.now(client.zone).date())
    published: list[PublishedPeriod] = []
    path = WarehouseFiles(settings.client_dir(client.slug)).published
    if path.exists():
        con = connect(path, client.timezone, read_only=True)
        try:
            published = published_periods(con, since.isoformat(), period)
        finally:
            con.close()
    return HistoryPlan(since, period, periods, published, until)


def run_history(
    settings: Settings,
    client: ClientSpec,
    plan: HistoryPlan,
    *,
    instance: dg.DagsterInstance | None = None,
    on_period: Callable[[HistoryWindow], None] | None = None,
) -> HistoryRun:
    """Load the plan's pending periods in order, each published as its own load.

    Stops at the first period whose load fails (nothing of it is published); the same plan
    run again starts there. `on_period` is told of each period before it runs.

    Raises:
        ConfigError, WriterBusy, RunInterrupted: as `runner.run_client`.
    """
    # Imported here: the runner brings Dagster's definitions of every hospital.
    from upflux_etl.runner import instance_for, run_client

    instance = instance or instance_for(settings)
    outcome = HistoryRun(plan)
    for window in plan.pending:
        if on_period is not None:
            on_period(window)
        outcome.ran.append(window)
        outcome.result = run_client(
            settings, client.slug, full=window.first, instance=instance, history=window
        )
        if not outcome.result.success:
            break
    return outcome
