"""Nightly schedules follow the client files at every load of the code location: new, changed
and removed files need no code change, and a broken file costs only its own hospital."""

from __future__ import annotations

import dagster as dg
import yaml

from tests.support.demo import write_demo_client
from upflux_etl.definitions import defs as load_defs


def schedules() -> dict[str, dg.ScheduleDefinition]:
    """What the code location's entry point (`upflux_etl.definitions:defs`) builds now."""
    return {s.name: s for s in load_defs().schedules or []}


def edit(path, **changes) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_new_changed_removed_and_broken_client_files_at_each_load(settings, pseudonym_key):
    north = write_demo_client(settings.clients_dir, "north")
    assert set(schedules()) == {"north__nightly_schedule"}

    south = write_demo_client(settings.clients_dir, "south")
    edit(south, timezone="America/Manaus", schedule={"cron": "30 1 * * *", "enabled": True})
    found = schedules()
    assert set(found) == {"north__nightly_schedule", "south__nightly_schedule"}
    assert found["south__nightly_schedule"].cron_schedule == "30 1 * * *"
    assert found["south__nightly_schedule"].execution_timezone == "America/Manaus"
    assert found["south__nightly_schedule"].default_status == dg.DefaultScheduleStatus.RUNNING
    assert found["south__nightly_schedule"].job_name == "south__nightly"

    edit(south, schedule={"cron": "0 4 * * *", "enabled": True})
    assert schedules()["south__nightly_schedule"].cron_schedule == "0 4 * * *"

    edit(north, timezone="Mars/Base")  # broken: only north loses its schedule
    found = schedules()
    assert set(found) == {"south__nightly_schedule"}
    assert found["south__nightly_schedule"].cron_schedule == "0 4 * * *"

    south.unlink()
    assert schedules() == {}
