"""`upflux purge CLIENT`: at contract end, nothing of the hospital stays but an audit line.

Removed: the hospital's folder under the data folder (published and previous warehouse,
builds, exports, quarantine and reports: `data/<slug>/`), its rows in the state store (runs,
health scores, actions, checklist events) and its runs in the Dagster instance. Kept: one line
in the state store's `purges` table (who, when, what was removed, in counts) and the log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from upflux_etl.settings import Settings
from upflux_etl.state.purge import purge_client_rows
from upflux_etl.state.store import StateStore

log = logging.getLogger("upflux.privacy")


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (counts only)."""

    client: str
    folder: str
    files: int
    bytes: int
    state_rows: dict[str, int]
    dagster_runs: int

    def as_dict(self) -> dict:
        """The audit line's `what`."""
        return {
            "folder": self.folder,
            "files": self.files,
            "bytes": self.bytes,
            "dagster_runs": self.dagster_runs,
        }


def purge_client(settings: Settings, slug: str, *, by: str, dagster_runs: int = 0) -> PurgeReport:
    """Remove every file and state-store row of client `slug`; keep one audit line.

    Args:
        settings: where the data folder and the state store are.
        slug: the client's slug (its folder and its rows are named by it).
        by: who purged (kept in the audit line).
        dagster_runs: how many Dagster runs of the client the caller deleted (for the audit).
    """
    folder = settings.client_dir(slug)
    files, size = _tally(folder)
    if folder.exists():
        shutil.rmtree(folder)
    report = PurgeReport(slug, str(folder), files, size, {}, dagster_runs)
    store = StateStore(settings.state_url)
    try:
        rows = purge_client_rows(
            store, slug, by=by, at=dt.datetime.now(dt.UTC), what=report.as_dict()
        )
    finally:
        store.dispose()
    log.info("purged client %s: %s file(s), state rows %s", slug, files, rows)
    return PurgeReport(slug, str(folder), files, size, rows, dagster_runs)


def _tally(folder: Path) -> tuple[int, int]:
    if not folder.exists():
        return 0, 0
    paths = [p for p in folder.rglob("*") if p.is_file()]
    return len(paths), sum(p.stat().st_size for p in paths)
