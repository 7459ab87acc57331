"""The one error type for bad configuration: it always names the file and the field."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """A declarative file is wrong.

    Args:
        file: the file at fault.
        field: dotted path of the field at fault ("" for the whole file).
        message: what is wrong and, where possible, what would be right.
    """

    def __init__(self, file: Path | str, field: str, message: str):
        self.file = str(file)
        self.field = field
        self.message = message
        where = f"{self.file}: {field}" if field else self.file
        super().__init__(f"{where}: {message}")
