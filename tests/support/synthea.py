"""The Synthea worked example (docs/ONBOARDING.md): its CSV export loaded into a throw-away
PostgreSQL schema or MariaDB database, as a hospital's IT would expose a foreign schema.

Every column is text, as a CSV import leaves it (the client file declares the formats);
empty cells are NULL. Only the tables the client reads are loaded, and of `observations`
only the laboratory category (5,852 of 21,697 rows), to keep the fixture quick.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from tests.support.databases import admin, mariadb_database, postgres_schema
from tests.support.shared import shared_dir

SYNTHEA_DIR = shared_dir() / "data" / "synthea_ca59"
# The client file and its queries (a real client file: `upflux validate` reads it).
CLIENT_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "synthea" / "clients"
TABLES = {
    "patients": None,
    "payers": None,
    "encounters": None,
    "imaging_studies": None,
    "observations": ("CATEGORY", "laboratory"),
}


def synthea_rows(table: str) -> tuple[list[str], list[tuple[str | None, ...]]]:
    """A table of the export: lower-case column names and rows (empty cells as None)."""
    with (SYNTHEA_DIR / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        keep = TABLES[table]
        index = header.index(keep[0]) if keep else None
        rows = [
            tuple(v if v != "" else None for v in row)
            for row in reader
            if keep is None or row[index] == keep[1]
        ]
    return [h.lower() for h in header], rows


@contextmanager
def synthea_postgres(url: str) -> Iterator[str]:
    """A PostgreSQL schema holding the export; yields its name."""
    with postgres_schema(url, "upflux_synthea") as schema:
        _load(url, f'"{schema}".', '"')
        yield schema


@contextmanager
def synthea_mariadb(url: str) -> Iterator[str]:
    """A MariaDB database holding the export; yields its name."""
    with mariadb_database(url, "upflux_synthea") as database:
        _load(url, f"`{database}`.", "`")
        yield database


def _load(url: str, prefix: str, quote: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            for table in TABLES:
                columns, rows = synthea_rows(table)
                names = ", ".join(f"{quote}{c}{quote}" for c in columns)
                typed = ", ".join(f"{quote}{c}{quote} text" for c in columns)
                conn.exec_driver_sql(f"create table {prefix}{table} ({typed})")
                marks = ", ".join(["%s"] * len(columns))
                conn.exec_driver_sql(
                    f"insert into {prefix}{table} ({names}) values ({marks})", rows
                )
    finally:
        engine.dispose()


__all__ = ["CLIENT_DIR", "admin", "synthea_mariadb", "synthea_postgres", "synthea_rows"]
