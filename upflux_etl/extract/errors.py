"""The one error of extraction: a source that cannot be reached or refuses the query."""

from __future__ import annotations


class SourceError(RuntimeError):
    """The source cannot be reached or refused the query.

    Attributes:
        transient: why retrying may succeed (a lost connection, a deadlock, a timeout), or
            None for an error that retrying repeats (an SQL error, a refused password).
    """

    def __init__(self, message: str, *, transient: str | None = None) -> None:
        super().__init__(message)
        self.transient = transient
