"""Throw-away PostgreSQL schemas and MariaDB databases, ODBC URLs to the same servers, and
demo clients whose ERP lives there.

The servers come from ``tests/dbservers.py`` (skipped when unreachable, failed under CI=true);
an ODBC driver missing from unixODBC is treated the same way.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
import yaml

from upflux_etl.settings import Settings

if TYPE_CHECKING:
    from tests.support.demo import DemoClient

# unixODBC driver names (odbcinst -q -d); Debian's odbc-postgresql and odbc-mariadb.
ODBC_DRIVERS = {
    "postgres": os.environ.get("UPFLUX_TEST_ODBC_POSTGRES_DRIVER", "PostgreSQL Unicode"),
    "mysql": os.environ.get("UPFLUX_TEST_ODBC_MARIADB_DRIVER", "MariaDB Unicode"),
}


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def admin(url: str, *statements: str) -> list[list[tuple]]:
    """Run statements with full rights (setup and verification), committed; rows of each."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            out = []
            for statement in statements:
                result = conn.exec_driver_sql(statement)
                out.append([tuple(r) for r in result] if result.returns_rows else [])
            return out
    finally:
        engine.dispose()


@contextmanager
def postgres_schema(url: str, prefix: str = "upflux_src") -> Iterator[str]:
    """A new, unique PostgreSQL schema, dropped with everything in it afterwards."""
    name = unique_name(prefix)
    admin(url, f'create schema "{name}"')
    try:
        yield name
    finally:
        admin(url, f'drop schema if exists "{name}" cascade')


@contextmanager
def mariadb_database(url: str, prefix: str = "upflux_src") -> Iterator[str]:
    """A new, unique MariaDB database, dropped afterwards."""
    name = unique_name(prefix)
    admin(url, f"create database `{name}` character set utf8mb4")
    try:
        yield name
    finally:
        admin(url, f"drop database if exists `{name}`")


def odbc_url(url: str, dialect: str) -> str:
    """The ODBC source URL (`odbc+<dialect>://...`) reaching the server of SQLAlchemy `url`."""
    import pyodbc

    driver = ODBC_DRIVERS[dialect]
    if driver not in pyodbc.drivers():
        message = f"ODBC driver {driver!r} is not registered with unixODBC (odbcinst -q -d)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true, so a skipped database test counts as a failure")
        pytest.skip(message)
    parts = sa.engine.make_url(url)
    pairs = {
        "DRIVER": f"{{{driver}}}",
        "SERVER": parts.host or "127.0.0.1",
        "PORT": str(parts.port or (5432 if dialect == "postgres" else 3306)),
        "DATABASE": parts.database or "",
        "UID": parts.username or "",
    }
    if parts.password:
        pairs["PWD"] = f"{{{parts.password}}}"
    return f"odbc+{dialect}://" + ";".join(f"{k}={v}" for k, v in pairs.items())


def write_database_client(
    settings: Settings,
    stem: str,
    *,
    schema: str,
    url: str | None = None,
    url_env: str | None = None,
    **demo,
) -> Path:
    """clients/demo.yaml (small demo) with both sources in one database schema.

    `url` goes into the file; `url_env` names the environment variable holding the URL
    (what a URL with a password, or an ODBC connection string, uses)."""
    # Dagster and Great Expectations take seconds to import: only the pipeline tests pay it.
    from tests.support.demo import write_demo_client

    path = write_demo_client(settings.clients_dir, stem, **demo)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = {"url": url} if url else {"url_env": url_env}
    for source in data["sources"].values():
        source.pop("url", None)
        source.pop("url_env", None)
        source.update(where, schema=schema)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def database_demo(
    settings: Settings,
    stem: str,
    *,
    schema: str,
    url: str | None = None,
    url_env: str | None = None,
    erp_dir: Path | None = None,
    **demo,
) -> DemoClient:
    """A demo client reading `schema`; its ERP is generated there unless `erp_dir` (the folder
    of an ERP generated earlier into the same schema) is given."""
    from tests.support.demo import DemoClient
    from upflux_etl.catalog.reader import read_catalog, read_client
    from upflux_etl.demo import build_demo_erp

    path = write_database_client(settings, stem, schema=schema, url=url, url_env=url_env, **demo)
    client = read_client(path, read_catalog(settings))
    return DemoClient(settings, client, erp_dir or build_demo_erp(settings, client))


@contextmanager
def demo_in_server(
    settings: Settings, stem: str, server: str, prefix: str, **demo
) -> Iterator[tuple[str, str, DemoClient]]:
    """A demo ERP generated into a throw-away PostgreSQL schema or MariaDB database (`server`:
    "postgres" or "mariadb") with its client `stem`: (url, schema, client); dropped after."""
    from tests.dbservers import mariadb_url, postgres_url

    url, name = (postgres_url() if server == "postgres" else mariadb_url()), unique_name(prefix)
    drop = (
        f'drop schema if exists "{name}" cascade'
        if server == "postgres"
        else f"drop database if exists `{name}`"
    )
    try:
        yield url, name, database_demo(settings, stem, schema=name, url=url, **demo)
    finally:
        admin(url, drop)


@contextmanager
def module_settings(tmp: Path, **variables: str) -> Iterator[tuple[Settings, pytest.MonkeyPatch]]:
    """Settings on clients and data folders under `tmp`, with `variables` (a module's keys) set
    for as long as the context lasts; the monkeypatch, for more."""
    (tmp / "clients").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UPFLUX_CLIENTS_DIR", str(tmp / "clients"))
        mp.setenv("UPFLUX_DATA_DIR", str(tmp / "data"))
        for name, value in variables.items():
            mp.setenv(name, value)
        yield Settings.from_env(), mp
