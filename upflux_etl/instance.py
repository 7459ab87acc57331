"""Dagster's instance home for `upflux` and `dagster dev`.

No Dagster import: `upflux ui` starts fast.
"""

from __future__ import annotations

import os
from pathlib import Path

from upflux_etl.settings import Settings

DAGSTER_YAML = """\
# Written by upflux: local instance storage under data/dagster (see docs/DECISIONS.md).
python_logs:
  managed_python_loggers: [upflux]
  python_log_level: INFO
# One load at a time per hospital (a hospital's warehouse has one writer): every asset of a
# hospital is in the pool upflux_<hospital>, judged per run, so this holds for the nightly job
# and for anything materialized from the UI alike.
concurrency:
  pools:
    granularity: run
    default_limit: 1
telemetry:
  enabled: false
"""


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME if set, else `data/dagster` (created with the instance config)."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.data_dir / "dagster")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home
