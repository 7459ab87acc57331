"""Retention: a hospital's builds and reports older than its client file allows go.

Applied after each publication (`pipeline/publish.py`), by the run holding the hospital's
writer lock: no other run is in flight, so another build is a dead run's (the next run's start
removes those too, `warehouse.build.leftover_builds`). Exports are kept by count
(`export.keep_loads`, pruned by `warehouse/export.py`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from upflux_etl.catalog.models import RetentionSpec
from upflux_etl.warehouse.files import WarehouseFiles

log = logging.getLogger("upflux.pipeline")
DAY_S = 24 * 3600


def apply_retention(files: WarehouseFiles, retention: RetentionSpec) -> list[Path]:
    """Remove the builds and reports past their retention; returns the reports removed."""
    _older_than(files.builds, retention.builds_days)
    removed = _older_than(files.reports, retention.reports_days)
    if removed:
        log.info("retention: removed %s file(s) past their retention", len(removed))
    return removed


def _older_than(folder: Path, days: int) -> list[Path]:
    if not folder.is_dir():
        return []
    limit = time.time() - days * DAY_S
    removed = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
