"""The product never imports the demo ERP generator (package `hospitalis_demo`) by being imported:
only `upflux demo` and `upflux demo-erp` reach it, through `upflux_etl/demo.py`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# A fresh interpreter: this test session may already have imported the demo package.
PROBE = """
import importlib.util, json, sys
import upflux_etl
import upflux_etl.definitions
import upflux_etl.cli
print(json.dumps({
    "installed": importlib.util.find_spec("hospitalis_demo") is not None,
    "demo_modules": sorted(
        m for m in sys.modules if m == "hospitalis_demo" or m.startswith("hospitalis_demo.")
    ),
}))
"""


# A fresh interpreter importing Dagster and the whole product: 10-75 s, more than the unit tier
# can spend (conftest.py).
@pytest.mark.integration
def test_importing_the_product_imports_no_demo_module():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # Installed yet not imported: the check below means something.
    assert found["installed"], "the demo package is not installed (scripts/setup.sh)"
    assert found["demo_modules"] == []
