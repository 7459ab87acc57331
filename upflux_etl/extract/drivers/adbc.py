"""PostgreSQL and SQLite through ADBC: Arrow batches straight from the driver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import sqlalchemy as sa

from upflux_etl.extract.arrow_batches import rebatch
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.session_options import SessionOptions


@contextmanager
def postgres_batches(
    url: str,
    sql: str,
    schema: str | None,
    batch_rows: int,
    session: SessionOptions | None = None,
) -> Iterator[Iterator[pa.RecordBatch]]:
    """Run `sql` on a read-only PostgreSQL session; yield its Arrow batches."""
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(postgres_uri(url, schema, session or SessionOptions())) as conn:
        with conn.cursor() as cur:
            cur.execute(sql)
            yield rebatch(cur.fetch_record_batch(), batch_rows)


def postgres_uri(url: str, schema: str | None, session: SessionOptions) -> str:
    """The libpq URI of a read-only, named, time-bounded session of `url` (password included).

    The server converts its own encoding (LATIN1, WIN1252...) to UTF-8, which the driver
    reads: without `client_encoding=UTF8` a LATIN1 database's "ç" fails to decode.
    """
    # Set at connection start by libpq, so no statement of the session can write.
    options = (
        "-c default_transaction_read_only=on -c client_encoding=UTF8"
        f" -c statement_timeout={session.statement_timeout_s * 1000}"
    )
    if schema:
        options += f" -c search_path={schema}"
    parsed = sa.engine.make_url(url)
    if parsed.query.get("options"):
        options = f"{parsed.query['options']} {options}"
    base = parsed.set(
        drivername="postgresql", query={k: v for k, v in parsed.query.items() if k != "options"}
    )
    uri = base.render_as_string(hide_password=False)
    # libpq reads %20 (not SQLAlchemy's "+") as a space inside options.
    params = {
        "options": options,
        "application_name": session.application_name,
        "connect_timeout": str(session.connect_timeout_s),
    }
    extra = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items() if k not in base.query)
    return uri + ("&" if "?" in uri else "?") + extra


@contextmanager
def sqlite_batches(url: str, sql: str, batch_rows: int) -> Iterator[Iterator[pa.RecordBatch]]:
    """Run `sql` on a SQLite file opened read-only; yield its Arrow batches."""
    import adbc_driver_sqlite.dbapi as lite

    path = sa.engine.make_url(url).database
    if not path or not Path(path).is_file():
        raise SourceError(f"SQLite database file {path} not found")
    # mode=ro: the session cannot write, whatever the query says.
    with lite.connect(f"file:{Path(path).resolve()}?mode=ro") as conn, conn.cursor() as cur:
        cur.execute(sql)
        yield rebatch(cur.fetch_record_batch(), batch_rows)
