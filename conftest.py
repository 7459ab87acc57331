"""The test tiers (`make test-unit`, `test-integration`, `test-e2e`), given by where a test lives.

A test in a `unit/`, `integration/` or `e2e/` folder (anywhere: `tests/unit/`,
`demo/tests/integration/`...) is marked with that tier; one marked explicitly keeps its mark;
any other test is a unit test. So a test moved to another package keeps its tier, and no test
is left out of every tier. This file is at the root so that it applies to every test folder.
"""

from __future__ import annotations

import pytest

TIERS = ("unit", "integration", "e2e")


def tier_of(item: pytest.Item) -> str:
    """The tier of a collected test: its explicit mark, else its folder, else unit."""
    marked = [t for t in TIERS if item.get_closest_marker(t)]
    if len(marked) > 1:
        raise pytest.UsageError(f"{item.nodeid} is marked with several tiers: {marked}")
    if marked:
        return marked[0]
    folders = [p for p in item.path.parent.parts if p in TIERS]
    return folders[-1] if folders else "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every collected test with its tier."""
    for item in items:
        item.add_marker(tier_of(item))
