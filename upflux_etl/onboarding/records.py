"""Connect-test results kept as Round 1 "integration alignment" evidence.

One JSON file per run in `<data>/<hospital>/connect_tests/` (no secret: URLs are masked, no
data value: counts and column names only); the checklist's `connection_ok` rule reads them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from upflux_etl.settings import Settings

FOLDER = "connect_tests"


@dataclass(frozen=True)
class ConnectTestRecord:
    """One kept connect-test: when, whether every source passed, how many sources."""

    at: dt.datetime
    ok: bool
    sources: int
    file: str


def write_connect_test(settings: Settings, slug: str, result: dict) -> Path:
    """Keep one connect-test result (`ConnectTest.as_dict()`); returns its file."""
    folder = settings.client_dir(slug) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    at = dt.datetime.fromisoformat(result["at"])
    path = folder / f"{at.strftime('%Y%m%dT%H%M%S%fZ')}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), "utf-8")
    return path


def read_connect_tests(settings: Settings, slug: str) -> tuple[ConnectTestRecord, ...]:
    """Every kept connect-test of a hospital, newest first (unreadable files are skipped)."""
    folder = settings.client_dir(slug) / FOLDER
    found = []
    for path in sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text("utf-8"))
            found.append(
                ConnectTestRecord(
                    dt.datetime.fromisoformat(data["at"]),
                    bool(data["ok"]),
                    len(data.get("sources", {})),
                    path.name,
                )
            )
        except (OSError, ValueError, KeyError):
            continue
    return tuple(found)
