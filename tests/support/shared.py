"""Where the workplace's shared public data lives (`../shared/` beside the checkout).

`UPFLUX_SHARED_DIR` when set; else the folder beside the checkout; else `/work/shared`, where this
machine keeps it (a clone elsewhere, e.g. in /tmp, still finds it).
"""

from __future__ import annotations

import os
from pathlib import Path

from upflux_etl.settings import project_root


def shared_dir() -> Path:
    """The shared folder (holding `data/synthea_ca59/`, `data/hospital_billing/`)."""
    if os.environ.get("UPFLUX_SHARED_DIR"):
        return Path(os.environ["UPFLUX_SHARED_DIR"])
    beside = project_root().parent / "shared"
    return beside if beside.is_dir() else Path("/work/shared")
