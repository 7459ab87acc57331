"""The real database servers tests run against.

``postgres_url()`` and ``mariadb_url()`` return a SQLAlchemy URL that answers ``select 1``;
when the server cannot be reached the calling test is skipped, except under CI
(``CI=true``), where a skipped database test would hide a broken pipeline, so it fails.
Override the defaults with ``UPFLUX_TEST_POSTGRES_URL`` / ``UPFLUX_TEST_MARIADB_URL``.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
CONNECT_TIMEOUT_S = 3


def _problem(url: str) -> str | None:
    """Why ``url`` cannot be used, or ``None`` when it answers."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any driver error means "not usable here"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def _require(url: str, what: str) -> str:
    problem = _problem(url)
    if problem:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        message = f"{what} not reachable at {shown} ({problem})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true, so a skipped database test counts as a failure")
        pytest.skip(message)
    return url


def postgres_url() -> str:
    """A working PostgreSQL URL (``postgresql+psycopg://...``), or skip/fail the test."""
    return _require(os.environ.get("UPFLUX_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL), "PostgreSQL")


def mariadb_url() -> str:
    """A working MariaDB URL (``mysql+pymysql://...``), or skip/fail the test."""
    return _require(os.environ.get("UPFLUX_TEST_MARIADB_URL", DEFAULT_MARIADB_URL), "MariaDB")
