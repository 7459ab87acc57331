"""YAML files read with the line of every key, so a problem can point at its line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from upflux_etl.catalog.errors import ConfigError

# libyaml's safe loader when PyYAML was built with it (15x faster on the catalog, which every
# command reads), else the pure-Python one: the same documents, the same safe tags.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlDoc:
    """A YAML mapping and the line (1-based) of each field path in it."""

    path: Path
    data: dict[str, Any]
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    def line(self, field_path: str) -> int | None:
        """The line of `field_path` ("a.b.0.c"), or of its nearest parent that has one."""
        parts = tuple(p for p in field_path.split(".") if p)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return None

    def error(self, field_path: str, message: str) -> ConfigError:
        """A ConfigError at `field_path` of this file, with its line."""
        return ConfigError(self.path, field_path, message, self.line(field_path))


def read_yaml(path: Path) -> YamlDoc:
    """A YAML mapping with its key lines, or a ConfigError naming the file (and line).

    Raises:
        ConfigError: the file is missing, not UTF-8, not YAML, or not a mapping at the top.
    """
    if not path.is_file():
        raise ConfigError(path, "", "file not found")
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        where = f"line {line}" if line else ""
        raise ConfigError(
            path, where, f"not valid YAML: {getattr(exc, 'problem', exc)}", line
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "", f"not UTF-8 text ({exc.reason})") from None
    if not isinstance(data, dict):
        raise ConfigError(path, "", "expected a mapping of keys to values at the top")
    lines: dict[tuple[str, ...], int] = {}
    _walk(node, (), lines)
    return YamlDoc(path, data, lines)


def _walk(node: yaml.Node | None, parts: tuple[str, ...], lines: dict) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*parts, str(key.value))
            lines[child] = key.start_mark.line + 1
            _walk(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = (*parts, str(i))
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines)
