"""The hospital's one writer, as Dagster sees it: a run-scoped resource on every load asset.

The resource is initialised before the run's first step and torn down after its last one,
in the run's own process, whoever launched it (CLI, UI, schedule, re-execution). It:
1. refuses a run that would execute only part of the hospital's load (a subset materialized
   from the UI, a re-execution from failure): such a run would build on a fresh copy and
   publish a partial load;
2. takes the hospital's writer lock (`warehouse/lock.py`), waiting up to
   `Settings.writer_wait_s`, else stops the run before any step with the holder's name;
3. on a new acquisition, clears what dead runs left: their builds are removed and their
   Dagster runs, still "started" with their process gone, are marked failed;
4. at the end, discards the run's build if it was not published (failure, SIGINT/SIGTERM)
   and releases the lock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence

import dagster as dg

from upflux_etl.definitions.dagster_run import FULL_TAG
from upflux_etl.definitions.failures import RunFailure, record_failure
from upflux_etl.run_history import launched_by
from upflux_etl.settings import Settings
from upflux_etl.warehouse.build import discard_build, leftover_builds
from upflux_etl.warehouse.files import WarehouseFiles
from upflux_etl.warehouse.lock import Holder, writer_lock

log = logging.getLogger("upflux.pipeline")

PARENT_RUN_TAG = "dagster/parent_run_id"
_ALIVE = (
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)


class PartialLoadRefused(RuntimeError):
    """The run would execute only some of a hospital's load steps."""


def writer_key(slug: str) -> str:
    """The resource key of a hospital's writer (one per hospital: each has its own lock)."""
    return f"upflux_writer_{slug}"


def writer_resource(
    slug: str, settings: Settings, load_keys: Sequence[dg.AssetKey], load_steps: Sequence[str]
) -> dg.ResourceDefinition:
    """The writer resource of one hospital.

    `load_keys` are its load's assets (datasets, indicators, the publication), run together;
    `load_steps` the steps that materialize them (the indicators share one).
    """

    @dg.resource(description=f"One writer of {slug}'s warehouse at a time (writer.lock).")
    def _writer(init_context: dg.InitResourceContext) -> Iterator[WarehouseFiles]:
        run = init_context.dagster_run
        files = WarehouseFiles(settings.client_dir(slug))
        if run is None:  # built outside a run (tests of the resource itself)
            yield files
            return
        refuse_partial_load(slug, run, load_keys, load_steps)
        with writer_lock(
            files,
            run.run_id,
            client=slug,
            wait_s=settings.writer_wait_s,
            launched_by=launched_by(run.tags),
        ) as acquired:
            if acquired.first:
                clear_dead_runs(
                    settings, files, run.run_id, init_context.instance, acquired.previous
                )
            try:
                yield files
            finally:
                if discard_build(files, run.run_id):
                    log.warning(
                        "%s: run %s ended without publishing; its build was discarded "
                        "(the published warehouse is unchanged)",
                        slug,
                        run.run_id[:8],
                    )

    return _writer


def refuse_partial_load(
    slug: str, run: dg.DagsterRun, load_keys: Sequence[dg.AssetKey], load_steps: Sequence[str]
) -> None:
    """Refuse a run that executes only part of the hospital's load (its assets or steps).

    Raises:
        PartialLoadRefused: with what was selected and what to do instead.
    """
    if run.step_keys_to_execute is not None:
        wanted, executing = set(load_steps), set(run.step_keys_to_execute)
    elif run.asset_selection:
        wanted = {key.to_python_identifier() for key in load_keys}
        executing = {key.to_python_identifier() for key in run.asset_selection}
    else:
        return  # the whole job: the nightly job, or "Materialize all"
    missing = sorted(wanted - executing)
    if not missing:
        return
    parent = run.parent_run_id or run.tags.get(PARENT_RUN_TAG)
    if parent:
        raise PartialLoadRefused(
            f"{slug}: a re-execution of only some steps (from failure, or selected) is refused: "
            f"it would start a new build without the steps that succeeded in run "
            f"{parent[:8]} and publish a partial load. Re-execute all steps, "
            f"or materialize the whole group {slug} (or `upflux run {slug}`)."
        )
    raise PartialLoadRefused(
        f"{slug}: materializing part of the hospital's load is refused "
        f"({len(wanted) - len(missing)} of {len(wanted)} load steps selected; missing "
        f"{', '.join(missing[:3])}{'...' if len(missing) > 3 else ''}): datasets, indicators "
        f"and the warehouse are published together as one load. Materialize the whole group "
        f"{slug} (or `upflux run {slug}`); the quality report, health score and checklist can "
        "be materialized alone."
    )


def clear_dead_runs(
    settings: Settings,
    files: WarehouseFiles,
    run_id: str,
    instance: dg.DagsterInstance | None,
    previous: Holder | None,
) -> list[str]:
    """Remove dead runs' builds and mark their runs failed; the ids of the runs cleared.

    Called with the hospital's lock just acquired: no other run of the hospital is alive, so
    every other build and the run the lock file still names (it died holding the lock) are dead.
    """
    dead = set(leftover_builds(files, keep=run_id))
    if previous is not None and previous.run_id != run_id:
        dead.add(previous.run_id)
    slug = files.root.name
    for dead_id in sorted(dead):
        discarded = discard_build(files, dead_id)
        marked = _mark_failed(settings, slug, dead_id, run_id, instance)
        log.warning(
            "%s: run %s died without publishing%s%s",
            slug,
            dead_id[:8],
            "; its build was removed" if discarded else "",
            "; marked failed" if marked else "",
        )
    return sorted(dead)


def _mark_failed(
    settings: Settings,
    slug: str,
    dead_id: str,
    finder: str,
    instance: dg.DagsterInstance | None,
) -> bool:
    if instance is None:
        return False
    run = instance.get_run_by_id(dead_id)
    if run is None or run.status not in _ALIVE:
        return False
    reason = (
        f"the run's process died (killed or lost) before publishing; found by run {finder[:8]}, "
        "which removed its build. The published warehouse was not changed."
    )
    instance.report_run_failed(run, message=reason)
    record = instance.get_run_record_by_id(dead_id)
    start = record.start_time if record and record.start_time else None
    started_at = dt.datetime.fromtimestamp(start, dt.UTC) if start else dt.datetime.now(dt.UTC)
    record_failure(
        settings,
        slug,
        dead_id,
        started_at,
        run.tags.get(FULL_TAG) == "true",
        RunFailure("", reason),
    )
    return True
