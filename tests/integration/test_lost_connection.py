"""A connection lost in the middle of an extraction fails that load loudly and names the
source; nothing of it is published (the dataset step fails before its split)."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from tests.dbservers import postgres_url
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.source import open_batches


def terminate(url: str, marker: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where query like :pattern and pid <> pg_backend_pid()"
            ),
            {"pattern": f"%{marker}%"},
        )
    engine.dispose()


def test_a_connection_killed_mid_stream_is_a_source_error_naming_the_source():
    url = postgres_url()
    marker = f"probe_{uuid.uuid4().hex[:8]}"
    # ~200 MB produced slowly (a short sleep every 20,000 rows): the driver's first batches
    # (16 MB each) arrive long before the stream ends, so the session dies mid-stream
    sql = (
        f"select g as {marker}, md5(g::text) || md5(g::text) as filler, "
        "case when g % 20000 = 0 then pg_sleep(0.05)::text end as pause "
        "from generate_series(1, 2000000) as g"
    )
    rows = 0
    with pytest.raises(SourceError) as err:
        with open_batches(
            url.replace("+psycopg", ""), sql, schema=None, batch_rows=10_000
        ) as batches:
            for batch in batches:
                if rows == 0:
                    killer = threading.Thread(target=terminate, args=(url, marker))
                    killer.start()
                    killer.join()
                rows += batch.num_rows
    assert 0 < rows < 2_000_000
    assert "127.0.0.1:5432/test" in str(err.value)
