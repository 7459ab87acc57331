"""`max_rows_per_second` on the real servers: an extraction reads no faster than the limit.

2,000 rows in batches of 250 at 2,000 rows/s: the extraction takes at least 1 s
less one batch (0.125 s), and the rate measured over the whole extraction stays at or below
the limit. No fixed sleep: the waits are the throttle's own, computed from the clock.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import duckdb
import pytest
import sqlalchemy as sa

from tests.dbservers import mariadb_url, postgres_url
from tests.support.databases import admin, mariadb_database, postgres_schema, unique_name
from upflux_etl.catalog.models import RetrySpec, SourceSpec
from upflux_etl.extract.session_options import SessionOptions
from upflux_etl.pipeline.extraction import Extraction, extract_with_retries
from upflux_etl.warehouse.schema import ensure_schema
from upflux_etl.warehouse.work import attach_work

ROWS, BATCH, LIMIT = 2000, 250, 2000
# 1..2000 in both dialects (MariaDB stops a recursion at 1,000 iterations: 40 x 50).
NUMBERS = (
    "with recursive s (n) as (select 1 union all select n + 1 from s where n < 50) "
    "select (a.n - 1) * 50 + b.n as n from s as a cross join s as b where a.n <= 40"
)


@pytest.mark.parametrize("server", ["pg", "maria"])
def test_an_extraction_reads_no_faster_than_max_rows_per_second(server, caplog):
    pg = server == "pg"
    url = postgres_url() if pg else mariadb_url()
    holder = postgres_schema(url) if pg else mariadb_database(url)
    with holder as schema:
        table = unique_name("paced")
        where = f'"{schema}".{table}' if pg else f"`{schema}`.{table}"
        admin(url, f"create table {where} as {NUMBERS}")
        source = sa.engine.make_url(url)
        if pg:
            source = source.set(drivername="postgresql")
        extraction = Extraction(
            "erp",
            "paced_ds",
            source.render_as_string(hide_password=False),
            f"select n from {table}",
            schema,
            BATCH,
            SessionOptions(application_name="upflux-paced"),
            RetrySpec(attempts=1),
            max_rows_per_second=LIMIT,
        )
        con = duckdb.connect()
        ensure_schema(con)
        attach_work(con)  # landing, as on a build connection
        caplog.set_level(logging.INFO, logger="upflux.pipeline")
        started = time.monotonic()
        attempts = extract_with_retries(con, extraction, lambda batches: batches)
        elapsed = time.monotonic() - started
    [session] = attempts.sessions
    assert session.outcome == "ok" and session.rows_read == ROWS
    assert elapsed >= ROWS / LIMIT - BATCH / LIMIT
    assert ROWS / elapsed <= LIMIT
    assert session.seconds >= ROWS / LIMIT - BATCH / LIMIT  # what the DBA's record shows
    # The throttle waited (a first connection can be slow enough to meet the bound alone).
    assert any("paced to 2,000 rows/s" in r.getMessage() for r in caplog.records)


def test_the_client_files_limit_paces_the_loads_extractions(settings, pseudonym_key, caplog):
    """The client file's value reaches every extraction of that source (tiny SQLite demo)."""
    from tests.support.demo import make_demo, materialize_client

    demo = make_demo(settings, beds=20, months=1, scale=0.05)
    erp = demo.client.sources["erp"]
    paced_erp = SourceSpec.model_validate(
        {**erp.model_dump(by_alias=True, exclude_none=True), "max_rows_per_second": 5000}
    )
    client = demo.client.model_copy(update={"sources": {**demo.client.sources, "erp": paced_erp}})
    caplog.set_level(logging.INFO, logger="upflux.pipeline")
    result = materialize_client(dataclasses.replace(demo, client=client))
    assert result.success
    paced = {
        r.getMessage().split(":")[0] for r in caplog.records if "paced to 5,000" in r.getMessage()
    }
    assert "exams" in paced and "platform_usage" not in paced  # only the erp source is limited
