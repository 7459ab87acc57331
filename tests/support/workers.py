"""A test's measured work run in a fresh interpreter, so its peak memory is its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def worker_report(script: str, folder: Path, timeout: float) -> dict:
    """Run `python script folder` from the checkout's root; its last stdout line, as JSON.

    The script's `__main__` does the work and prints one JSON line (its figures). A failure
    fails the test with the end of the worker's stderr.
    """
    done = subprocess.run(
        [sys.executable, script, str(folder)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
