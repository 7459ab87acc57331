"""The local Dagster instance's SQLite files commit without an fsync each (instance.py)."""

from __future__ import annotations

import sqlalchemy as sa

from upflux_etl.instance import relax_local_event_log_sync

NORMAL, FULL = 1, 2  # SQLite's `pragma synchronous` values


def _synchronous(path) -> int:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("pragma synchronous")).scalar_one())
    finally:
        engine.dispose()


def test_only_files_under_dagster_home_are_relaxed(tmp_path, monkeypatch) -> None:
    home = tmp_path / "dagster"
    (home / "history").mkdir(parents=True)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    relax_local_event_log_sync()
    relax_local_event_log_sync()  # idempotent: one listener
    assert _synchronous(home / "history" / "runs.db") == NORMAL
    assert _synchronous(tmp_path / "state.sqlite") == FULL  # the state store keeps its own
    monkeypatch.delenv("DAGSTER_HOME")
    assert _synchronous(home / "history" / "other.db") == FULL
