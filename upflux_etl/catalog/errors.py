"""The error types for bad configuration: each problem names its file, field and line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class ConfigError(Exception):
    """A declarative file is wrong.

    Args:
        file: the file at fault.
        field: dotted path of the field at fault ("" for the whole file).
        message: what is wrong and, where possible, what would be right.
        line: the line of the field in the file, where YAML gives it.
    """

    def __init__(self, file: Path | str, field: str, message: str, line: int | None = None):
        self.file = str(file)
        self.field = field
        self.message = message
        self.line = line
        text = f"{self.file}: {field}: {message}" if field else f"{self.file}: {message}"
        super().__init__(f"{text} (line {line})" if line else text)


class ConfigProblems(ConfigError):
    """Several problems found in one pass; reads as the first, lists them all.

    It is a ConfigError (the first problem's file, field and message), so a caller that
    handles one problem handles this too; `problems` holds every one, in reading order.
    """

    def __init__(self, problems: Iterable[ConfigError]):
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("ConfigProblems needs at least one problem")
        first = self.problems[0]
        super().__init__(first.file, first.field, first.message, first.line)
        self.args = ("\n".join(str(p) for p in self.problems),)


class Problems:
    """Collects the problems of a reading pass instead of stopping at the first."""

    def __init__(self) -> None:
        self.items: list[ConfigError] = []

    def add(self, error: ConfigError) -> None:
        """Keep one problem (the problems of a ConfigProblems one by one)."""
        self.items.extend(error.problems if isinstance(error, ConfigProblems) else [error])

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self) -> None:
        """Raise every problem kept so far as one ConfigProblems."""
        if self.items:
            raise ConfigProblems(self.items)
