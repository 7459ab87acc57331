"""The one error of extraction: a source that cannot be reached or refuses the query."""

from __future__ import annotations

from upflux_etl.extract.scrub import scrub_values


class SourceError(RuntimeError):
    """The source cannot be reached or refused the query.

    Its message is scrubbed of the values a driver may echo (`extract.scrub.scrub_values`)
    when it is built, so no log, report, alert or event log can receive them from here.

    Attributes:
        transient: why retrying may succeed (a lost connection, a deadlock, a timeout), or
            None for an error that retrying repeats (an SQL error, a refused password).
    """

    def __init__(self, message: str, *, transient: str | None = None) -> None:
        super().__init__(scrub_values(message))
        self.transient = transient
