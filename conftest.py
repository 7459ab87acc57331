"""The test tiers (`make test-unit`, `test-integration`, `test-e2e`), given by where a test lives.

A test keeps a tier it is marked with; else a test in a `unit/`, `integration/` or `e2e/`
folder (anywhere: `tests/unit/`, `demo/tests/integration/`...) is in that tier; else a test
that needs a database server (`postgres`, `mariadb`) is an integration test and one that needs
a browser an e2e test; any other test is a unit test. So a test moved to another package
(`demo/tests/`) keeps its tier, and no test is left out of every tier. This file is at the
root so that it applies to every test folder.
"""

from __future__ import annotations

import pytest

TIERS = ("unit", "integration", "e2e")
NEEDS = {"postgres": "integration", "mariadb": "integration", "browser": "e2e"}


def tier_of(item: pytest.Item) -> str:
    """The tier of a collected test: its mark, else its folder, else what it needs, else unit."""
    marked = [t for t in TIERS if item.get_closest_marker(t)]
    if len(marked) > 1:
        raise pytest.UsageError(f"{item.nodeid} is marked with several tiers: {marked}")
    folders = [p for p in item.path.parent.parts if p in TIERS]
    needs = [tier for mark, tier in NEEDS.items() if item.get_closest_marker(mark)]
    return (marked or folders[-1:] or needs[-1:] or ["unit"])[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every collected test with its tier."""
    for item in items:
        item.add_marker(tier_of(item))
