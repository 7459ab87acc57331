"""pm4py is AGPL-3.0: a test-only extra, never a runtime dependency nor imported by the product."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, requires

from packaging.requirements import Requirement

from upflux_etl.settings import project_root

AGPL = {"pm4py"}


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def _runtime_closure(roots: list[str]) -> set[str]:
    """Every package the runtime dependencies pull in (extras and markers off)."""
    seen: set[str] = set()
    todo = [_name(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:
            continue
        for text in needs:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(_name(text))
    return seen


def test_pm4py_is_a_pinned_test_extra_and_no_runtime_dependency():
    project = tomllib.loads((project_root() / "pyproject.toml").read_text())["project"]
    runtime = project["dependencies"]
    assert not AGPL & {_name(r) for r in runtime}
    assert "pm4py==" in " ".join(project["optional-dependencies"]["test"])
    closure = _runtime_closure(runtime)
    assert "duckdb" in closure and "scipy" in closure  # the walk does reach the packages
    assert not AGPL & closure


def test_the_product_never_imports_pm4py():
    sources = sorted((project_root() / "upflux_etl").rglob("*.py"))
    offenders = [
        str(p) for p in sources if re.search(r"^\s*(import|from)\s+pm4py", p.read_text(), re.M)
    ]
    assert sources and offenders == []
