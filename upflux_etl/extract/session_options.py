"""How a source session identifies itself and bounds itself: the DBA's view of our sessions.

Every driver applies the same options: an application name the DBA sees in the server's list
of sessions (`pg_stat_activity.application_name`, MariaDB's connection attributes, SQL
Server's program name), a connect timeout, a statement timeout, and the text encoding.
"""

from __future__ import annotations

from dataclasses import dataclass

from upflux_etl.catalog.models import SOURCE_ENCODINGS, SourceSpec

APPLICATION = "upflux-etl"


@dataclass(frozen=True)
class SessionOptions:
    """The options of one source session."""

    application_name: str = APPLICATION
    connect_timeout_s: int = 15
    statement_timeout_s: int = 3600
    encoding: str = "UTF8"

    @property
    def codec(self) -> str:
        """The Python codec of the source's text encoding."""
        return SOURCE_ENCODINGS[self.encoding.upper()]


def session_options(source: SourceSpec, client_slug: str, purpose: str = "load") -> SessionOptions:
    """The options of a session of `client_slug` reading `source` for `purpose`.

    The name says who and why ("upflux-etl demo load", "upflux-etl demo connect-test"), so
    the hospital's DBA can tell our sessions apart in the server's session list.
    """
    return SessionOptions(
        application_name=f"{APPLICATION} {client_slug} {purpose}"[:60],
        connect_timeout_s=source.connect_timeout_s,
        statement_timeout_s=source.statement_timeout_s,
        encoding=source.encoding.upper(),
    )
