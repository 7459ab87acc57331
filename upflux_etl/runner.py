"""Run a hospital's nightly job in this process, on the Dagster instance the UI reads."""

from __future__ import annotations

import datetime as dt
import getpass
import os

import dagster as dg
import yaml
from dagster._core.instance.ref import InstanceRef
from dagster._core.utils import make_new_run_id

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import slugify
from upflux_etl.definitions import build_definitions
from upflux_etl.definitions.dagster_run import FULL_TAG, HISTORY_TAG, ROTATE_KEY_TAG
from upflux_etl.definitions.failures import RunFailure, record_failure, run_failure
from upflux_etl.definitions.writer import clear_dead_runs
from upflux_etl.instance import configures_storage, dagster_home, relax_local_event_log_sync
from upflux_etl.pipeline.history import HistoryWindow
from upflux_etl.run_history import LAUNCHED_BY_TAG, USER_TAG
from upflux_etl.settings import Settings
from upflux_etl.warehouse.build import discard_build
from upflux_etl.warehouse.files import WarehouseFiles
from upflux_etl.warehouse.lock import writer_lock

# A Ctrl-C inside a step (DuckDB's own interrupt error included: definitions/scrubbed.py).
_INTERRUPTS = {"DagsterExecutionInterruptedError", "KeyboardInterrupt"}


class RunInterrupted(RuntimeError):
    """The run was stopped by SIGINT (Ctrl-C) or SIGTERM; its build was discarded."""


def instance_for(settings: Settings) -> dg.DagsterInstance:
    """The persistent Dagster instance shared with `dagster dev` (the UI shows CLI runs).

    Without capture of the steps' raw stdout/stderr (the event log and our logger carry the
    run's lines): the capture spawns `tail` and watcher processes in the terminal's process
    group, which a Ctrl-C would hit and which would print tracebacks of their own.
    """
    os.environ["DAGSTER_HOME"] = home = str(dagster_home(settings))
    relax_local_event_log_sync()
    overrides: dict = {
        "compute_logs": {
            "module": "dagster._core.storage.noop_compute_log_manager",
            "class": "NoOpComputeLogManager",
        }
    }
    if not configures_storage(home):  # the local SQLite instance: engines kept per database
        defaults = InstanceRef.config_defaults(home)["event_log_storage"]
        assert defaults is not None  # Dagster always has a default event log
        overrides["event_log_storage"] = {
            "module": "upflux_etl.local_events",
            "class": "LocalEventLogStorage",
            "config": yaml.safe_load(defaults.config_yaml),
        }
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(home, overrides=overrides))


def run_client(
    settings: Settings,
    client: str,
    *,
    full: bool,
    instance: dg.DagsterInstance | None = None,
    rotate_key: bool = False,
    history: HistoryWindow | None = None,
):
    """Execute `<client>__nightly` in process; returns the ExecuteInProcessResult.

    The hospital's writer lock is taken before the run starts (waiting up to
    `settings.writer_wait_s`): a second load of the hospital stops here, before any work.
    `rotate_key` (with `full`) re-pseudonymises everything with a new key (pipeline/keys.py).
    `history`: the load is that period of a historical load (upflux_etl/history.py).

    Raises:
        ConfigError: the client is unknown or its file is broken.
        WriterBusy: another load of the hospital is running.
        RunInterrupted: SIGINT or SIGTERM stopped the run.
    """
    slug = slugify(client)
    defs = build_definitions(settings)
    job_name = f"{slug}__nightly"
    try:
        job = defs.resolve_job_def(job_name)
    except dg.DagsterInvariantViolationError:
        raise ConfigError(
            settings.clients_dir / f"{client}.yaml", "", _why_missing(defs, slug)
        ) from None
    instance = instance or instance_for(settings)
    run_id = make_new_run_id()
    files = WarehouseFiles(settings.client_dir(slug))
    try:
        with writer_lock(
            files, run_id, client=slug, wait_s=settings.writer_wait_s, launched_by="cli"
        ) as acquired:
            clear_dead_runs(settings, files, run_id, instance, acquired.previous)
            started = dt.datetime.now(dt.UTC)
            result = job.execute_in_process(
                run_id=run_id,
                instance=instance,
                tags=_tags(full, rotate_key, history),
                raise_on_error=False,
                # progress comes from our own `upflux` logger; failures are summarised by the CLI
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
    except KeyboardInterrupt:
        discard_build(files, run_id)
        raise RunInterrupted(_interrupted(slug, run_id)) from None
    if not result.success:
        steps = result.get_step_failure_events()
        if _was_interrupted(steps):
            failure = RunFailure("", "interrupted (SIGINT or SIGTERM); nothing was published")
            record_failure(settings, slug, run_id, started, full, failure)
            raise RunInterrupted(_interrupted(slug, run_id))
        record_failure(settings, slug, run_id, started, full, run_failure(steps, None))
    return result


def _interrupted(slug: str, run_id: str) -> str:
    return (
        f"{slug}: run {run_id[:8]} was interrupted (Ctrl-C or SIGTERM); its build was discarded "
        "and the published warehouse is unchanged"
    )


def _was_interrupted(step_failures) -> bool:
    for event in step_failures:
        error = event.step_failure_data.error
        while error is not None:
            if error.cls_name in _INTERRUPTS:
                return True
            error = error.cause
    return False


def _tags(
    full: bool, rotate_key: bool = False, history: HistoryWindow | None = None
) -> dict[str, str]:
    tags = {FULL_TAG: str(full).lower(), LAUNCHED_BY_TAG: "cli"}
    if rotate_key:
        tags[ROTATE_KEY_TAG] = "true"
    if history is not None:
        tags[HISTORY_TAG] = history.to_tag()
    try:
        tags[USER_TAG] = getpass.getuser()
    except (KeyError, OSError):
        pass
    return tags


def _why_missing(defs: dg.Definitions, slug: str) -> str:
    for spec in defs.resolve_all_asset_specs():
        if spec.key.path == [slug, "config_error"]:
            return str(spec.metadata.get("error", "client file is broken"))
    return f"no client {slug!r} in the clients folder"
