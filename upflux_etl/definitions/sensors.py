"""Sensors: what the UI and the daemon need beyond assets and schedules."""

# No `from __future__ import annotations`: Dagster inspects the context annotation.
import datetime as dt

import dagster as dg

from upflux_etl.alerts import Alert, AlertConfig, deliver
from upflux_etl.definitions.dagster_run import FULL_TAG
from upflux_etl.definitions.failures import record_failure, run_failure
from upflux_etl.definitions.run_tags import CLIENT_TAG
from upflux_etl.settings import Settings


def failed_load_sensor(settings: Settings) -> dg.SensorDefinition:
    """A sensor that records every failed hospital load and alerts operations.

    The load and its reason go to the state store (status, health and checklist see it); the
    alert goes where `AlertConfig` (from the environment) says.
    """

    @dg.run_failure_sensor(
        name="upflux_failed_loads", default_status=dg.DefaultSensorStatus.RUNNING
    )
    def _failed(context: dg.RunFailureSensorContext) -> None:
        run = context.dagster_run
        client = run.tags.get(CLIENT_TAG)
        if not client:
            return
        record = context.instance.get_run_record_by_id(run.run_id)
        started = record.start_time if record and record.start_time else None
        started_at = (
            dt.datetime.fromtimestamp(started, dt.UTC) if started else dt.datetime.now(dt.UTC)
        )
        failure = run_failure(context.get_step_failure_events(), context.failure_event)
        record_failure(
            settings, client, run.run_id, started_at, run.tags.get(FULL_TAG) == "true", failure
        )
        config = AlertConfig.from_env()
        alert = Alert.build(
            "run_failure", client, run.run_id, failure.step, failure.reason, config.ui_url
        )
        deliver(config, alert)

    return _failed
