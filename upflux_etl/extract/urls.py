"""Source URLs: where they come from, what they hide, and which SQL dialect they speak.

SQLAlchemy URLs name their backend; ODBC URLs are `odbc+<sqlglot dialect>://<connection
string>` (see `extract/drivers/odbc.py`). A password is never shown: `safe_url` masks it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import sqlalchemy as sa

from upflux_etl.catalog.models import SourceSpec
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.sql import DIALECTS

ODBC_PREFIX = "odbc+"
# Dialects whose sessions we know how to make read-only (or document the grant for).
ODBC_DIALECTS = ("postgres", "mysql", "tsql", "oracle")
# key=value pairs of an ODBC connection string; a value in braces may hold ';' ("}}" is "}").
_ODBC_PAIR = re.compile(r"\s*([^=;]+?)\s*=\s*(\{(?:[^}]|\}\})*\}|[^;]*)\s*(?:;|$)")
_ODBC_SECRETS = {"pwd", "password"}


def resolve_url(source: SourceSpec, data_dir: Path, owner: str) -> str:
    """The source URL: `url` with `{data_dir}` filled in, or the value of `url_env`.

    Raises:
        SourceError: the environment variable is not set (its name is said; never its value),
            or an ODBC `url` in the client file holds a password.
    """
    if source.url_env:
        value = os.environ.get(source.url_env)
        if not value:
            raise SourceError(
                f"{owner}: environment variable {source.url_env} (the source URL) is not set"
            )
        return value
    if source.url is None:
        raise SourceError(f"{owner}: the source has neither url nor url_env")
    if url_secret(source.url):
        raise SourceError(
            f"{owner}: the source url holds a password: put the whole URL in an environment "
            "variable (url_env)"
        )
    url = source.url.replace("{data_dir}", str(data_dir))
    return with_password(url, source.password_env, owner) if source.password_env else url


def with_password(url: str, env: str, owner: str) -> str:
    """`url` with the password held by environment variable `env` (its name said, never its value).

    Raises:
        SourceError: the variable is not set.
    """
    password = os.environ.get(env)
    if not password:
        raise SourceError(f"{owner}: environment variable {env} (the source's password) is not set")
    if is_odbc(url):
        return f"{url.rstrip('; ')};PWD={{{password.replace('}', '}}')}}}"
    return sa.engine.make_url(url).set(password=password).render_as_string(hide_password=False)


def is_odbc(url: str) -> bool:
    """Whether `url` is an ODBC source (`odbc+<dialect>://<connection string>`)."""
    return url.startswith(ODBC_PREFIX)


def odbc_parts(url: str) -> tuple[str, str]:
    """The sqlglot dialect and the ODBC connection string of an ODBC URL."""
    head, sep, connection = url.partition("://")
    name = head[len(ODBC_PREFIX) :]
    dialect = DIALECTS.get(name, name)
    if not sep or dialect not in ODBC_DIALECTS:
        raise SourceError(
            f"{head}://...: an ODBC source URL is odbc+<dialect>://<connection string> with a "
            f"dialect in {', '.join(ODBC_DIALECTS)}"
        )
    return dialect, connection


def odbc_pairs(connection: str) -> list[tuple[str, str]]:
    """The (key, raw value) pairs of an ODBC connection string, in order."""
    return [(m[1], m[2]) for m in _ODBC_PAIR.finditer(connection) if m[1]]


def backend(url: str) -> str:
    """The backend of a URL: SQLAlchemy's name ("postgresql", "sqlite", "mysql"...) or "odbc"."""
    if is_odbc(url):
        return "odbc"
    return sa.engine.make_url(url).get_backend_name()


def dialect_of(url: str) -> str:
    """The sqlglot dialect to translate standard queries into for this URL."""
    if is_odbc(url):
        return odbc_parts(url)[0]
    name = backend(url)
    if name not in DIALECTS:
        raise SourceError(f"no SQL dialect known for database backend {name!r}")
    return DIALECTS[name]


def safe_url(url: str) -> str:
    """The URL with any password masked, fit for messages."""
    if is_odbc(url):
        head, _, connection = url.partition("://")
        shown = [
            f"{key}=***" if key.lower() in _ODBC_SECRETS else f"{key}={value}"
            for key, value in odbc_pairs(connection)
        ]
        return f"{head}://{';'.join(shown)}"
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparseable URL is shown by its scheme only
        return url.split(":", 1)[0] + "://..."


def url_secret(url: str | None) -> str | None:
    """The password a URL holds, if any (to mask it wherever it might be echoed)."""
    if not url:
        return None
    if is_odbc(url):
        values = [v for k, v in odbc_pairs(url.partition("://")[2]) if k.lower() in _ODBC_SECRETS]
        braced = [v[1:-1].replace("}}", "}") if v.startswith("{") else v for v in values]
        return next((v for v in braced if v), None)
    try:
        return sa.engine.make_url(url).password or None
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: nothing to mask by name
        return None
