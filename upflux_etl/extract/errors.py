"""The one error of extraction: a source that cannot be reached or refuses the query."""

from __future__ import annotations


class SourceError(RuntimeError):
    """The source cannot be reached or refused the query."""
