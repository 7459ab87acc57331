"""Writes `catalog/expectation_types.json`: what the pinned Great Expectations knows.

Validation of the declarative files must not import GX (seconds of imports), so the types,
their kwargs' JSON schemas and the rules GX checks beyond them are kept in a generated file;
`tests/unit/test_expectation_types.py` compares it with GX itself. Regenerate after a GX
upgrade: `python -m upflux_etl.quality.gx_registry`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.expectations.registry import (
    get_expectation_impl,
    list_registered_expectation_implementations,
)

from upflux_etl.quality.gx_expectations import is_row_level

REGISTRY = Path(__file__).resolve().parent.parent / "catalog" / "expectation_types.json"
# Class-level fields GX's schema lists that no suite passes as kwargs.
_NOT_KWARGS = ("metadata", "rendered_content")
_BOUNDS = ("min_value", "max_value")
# Where GX's published schema is narrower than what its model accepts: `value_set` is
# documented as texts or numbers, but any list (booleans, as our flag checks use) is taken.
_LOOSER: dict[str, Any] = {"value_set": {"anyOf": [{"type": "array"}, {"type": "object"}]}}


def build_registry() -> dict[str, Any]:
    """Every registered expectation type with its kwargs' schema and row level."""
    types: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    for name in sorted(list_registered_expectation_implementations()):
        cls = get_expectation_impl(name)
        schema = cls.schema()
        definitions.update(schema.get("definitions", {}))
        properties = {
            key: _LOOSER.get(key, _without_multiple_of(value))
            for key, value in schema["properties"].items()
            if key not in _NOT_KWARGS
        }
        types[name] = {
            "row_level": is_row_level(cls),
            "required": sorted(schema.get("required", [])),
            "properties": properties,
            "at_least_one_of": [list(_BOUNDS)] if _needs_a_bound(cls, properties) else [],
        }
    return {"great_expectations": gx.__version__, "types": types, "definitions": definitions}


def _needs_a_bound(cls: Any, properties: dict[str, Any]) -> bool:
    """GX refuses min_value and max_value both null (a root validator, not in the schema)."""
    if not all(b in properties for b in _BOUNDS):
        return False
    kwargs = {key: "x" for key in cls.schema().get("required", [])}
    try:
        cls(**kwargs)
    except (ValueError, TypeError) as exc:
        return "cannot both be None" in str(exc)
    return False


def _without_multiple_of(schema: Any) -> Any:
    # GX's pydantic v1 models list `multipleOf` for `mostly` but never enforce it.
    if isinstance(schema, dict):
        return {k: _without_multiple_of(v) for k, v in schema.items() if k != "multipleOf"}
    if isinstance(schema, list):
        return [_without_multiple_of(v) for v in schema]
    return schema


def render(registry: dict[str, Any]) -> str:
    """The file's text (stable: sorted keys, one trailing newline)."""
    return json.dumps(registry, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    """Write the registry next to the catalog's code."""
    REGISTRY.write_text(render(build_registry()), encoding="utf-8")
    sys.stderr.write(f"wrote {REGISTRY}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
