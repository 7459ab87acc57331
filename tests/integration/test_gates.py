"""The gates CI runs: `.ci/run` fails when `make lint` does, shown on a scratch copy of the
repository with a `print()` added to library code (STYLE.md: no print in library code).

The copy holds the tracked files only and reuses this checkout's environment through make's
`VENV` variable, so nothing is installed; ruff fails first, so the run stops in seconds.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from upflux_etl.settings import project_root

VENV = Path(sys.executable).parent.parent
LIBRARY_MODULE = "upflux_etl/__init__.py"
TIMEOUT_S = 300

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list files")


def _copy_of_the_repository(into: Path) -> Path:
    root = project_root()
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, text=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        source = root / name
        if source.is_file():  # a file deleted in the work tree is still listed until committed
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # MAKEFLAGS carries VENV to every make that .ci/run starts; CI is what CI sets.
    env = {**os.environ, "MAKEFLAGS": f"VENV={VENV}", "CI": "true", "NO_COLOR": "1"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)


def _print_findings(output: str, module: str) -> list[str]:
    """Ruff's T201 findings in `module`, in its full (`T201 ...` then ` --> path:line:col`)
    or concise (`path:line:col: T201 ...`) output format."""
    lines = ["", *output.splitlines()]
    return [
        line
        for before, line in itertools.pairwise(lines)
        if module in line and ("T201" in line or before.startswith("T201"))
    ]


def test_a_print_in_library_code_fails_ci_at_the_lint_gate(tmp_path):
    copy = _copy_of_the_repository(tmp_path / "repo")
    module = copy / LIBRARY_MODULE
    clean = _run(["make", "--no-print-directory", "lint-python"], copy)
    assert _print_findings(clean.stdout + clean.stderr, LIBRARY_MODULE) == [], clean.stdout

    last_line = len(module.read_text(encoding="utf-8").splitlines())
    with module.open("a", encoding="utf-8") as f:
        f.write('print("x")\n')
    ci = _run(["bash", ".ci/run"], copy)

    output = ci.stdout + ci.stderr
    assert ci.returncode != 0, output
    assert _print_findings(output, f"{LIBRARY_MODULE}:{last_line + 1}:1"), output
    # .ci/run stopped at the first gate (its `set -e`): `make test` never started
    assert ci.stderr.rstrip().endswith("lint-python] Error 1"), ci.stderr
