"""A failed load's reason in the state store, and a version-1 store migrated to hold it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from upflux_etl.state.records import RunRecord
from upflux_etl.state.schema import SCHEMA_VERSION
from upflux_etl.state.store import StateStore

NOW = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)


def failed(error: str | None) -> RunRecord:
    return RunRecord("h1", "r1", "r1", NOW, NOW, "failed", "full", False, error=error)


def test_a_version_1_store_gains_the_error_column_and_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    store = StateStore(url)
    store.record_run(failed(None))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE runs DROP COLUMN error")
        conn.exec_driver_sql("DELETE FROM schema_version")
        conn.exec_driver_sql("INSERT INTO schema_version VALUES (1, '2026-01-01 00:00:00')")
    store.dispose()

    store = StateStore(url)
    assert store.last_run("h1").error is None
    store.record_run(failed("h1__datasets__encounters: OperationalError: unable to open"))
    assert store.last_run("h1").error.startswith("h1__datasets__encounters")
    with store.engine.connect() as conn:
        versions = conn.execute(sa.select(store.tables.schema_version.c.version)).scalars()
        assert max(versions) == SCHEMA_VERSION
    store.dispose()
