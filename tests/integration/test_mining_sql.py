"""The nightly's out-of-core summary (DuckDB SQL) equals `upflux mine`'s numpy one.

On the demo warehouse's event log (written by DuckDB's COPY, compared with the pandas export)
and on a hand-made log of edge cases: blank case ids, equal timestamps, a one-event case,
cases starting either side of a month boundary in UTC but not in the session's time zone,
an activity seen only without a case, variants and edges tied on their counts.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.demo import make_demo, materialize_client
from upflux_etl.catalog.eventlog import read_event_log_sql
from upflux_etl.mining import sql_summary as sql_summary_module
from upflux_etl.mining.bpmn import read_bpmn
from upflux_etl.mining.read import read_event_log
from upflux_etl.mining.sql_summary import sql_summary
from upflux_etl.mining.summary import activity_positions, summarise
from upflux_etl.mining.warehouse_log import EVENT_ORDER, copy_event_log, log_rows
from upflux_etl.settings import Settings, project_root

MODEL = project_root() / "assets" / "reference_models" / "encounter.bpmn"


def _pandas_frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """The event log as the export once built it in pandas: XES names, grouped, in order."""
    rows = con.execute(f"select * from ({log_rows(con, sql)}) order by {EVENT_ORDER}").df()
    stamps = pd.Series(pd.to_datetime(rows["occurred_at"], utc=True)).dt.as_unit("us")
    return pd.DataFrame(
        {
            "case:concept:name": rows["case_id"].astype(str),
            "concept:name": rows["activity"].astype(str),
            "time:timestamp": stamps,
            "org:resource": rows["unit"],
        }
    )


def _numpy_payload(parquet: Path, with_model: bool) -> dict[str, Any]:
    """What the nightly gave before: `summarise` on the numpy log, plus the map."""
    log = read_event_log(parquet)
    model = read_bpmn(MODEL) if with_model else None
    result = summarise(log, model, {})
    payload = result.to_json(top=10)
    payload["map"] = {
        "activities": activity_positions(log),
        "edges": [
            {"source": e.source, "target": e.target, "count": e.count}
            for e in result.graph.edges[:60]
        ],
    }
    if result.conformance is not None:
        payload["aligned_now"] = result.conformance.aligned_now
    return payload


def _sql_payload(parquet: Path, with_model: bool, tmp: Path) -> dict[str, Any]:
    con = duckdb.connect()
    try:
        con.execute("set memory_limit = '200MB'")
        con.execute("set temp_directory = ?", [str(tmp / "spill")])
        con.execute("set TimeZone = 'Asia/Tokyo'")  # months are cut in UTC all the same
        model = read_bpmn(MODEL) if with_model else None
        return sql_summary(con, parquet, model, {}, top=10, map_edges=60)
    finally:
        con.close()


def _assert_same(ours: Any, theirs: Any, where: str = "") -> None:
    """Equal: integers, texts, orders and keys exactly; floats to 1e-9."""
    if isinstance(theirs, float) or isinstance(ours, float):
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9), (where, ours, theirs)
        return
    assert type(ours) is type(theirs), (where, ours, theirs)
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), where
        for key in theirs:
            _assert_same(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, list | tuple):
        assert len(ours) == len(theirs), (where, len(ours), len(theirs))
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _assert_same(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, (where, ours, theirs)


def test_the_demo_warehouse_log_mined_in_sql_equals_the_numpy_summary(tmp_path):
    (tmp_path / "clients").mkdir()
    settings = Settings(
        root=project_root(),
        clients_dir=tmp_path / "clients",
        data_dir=tmp_path / "data",
        state_url=f"sqlite:///{tmp_path / 'state.sqlite'}",
    )
    demo = make_demo(settings, beds=40, months=2)
    assert materialize_client(demo).success
    sql = read_event_log_sql(project_root())
    parquet = tmp_path / "event_log.parquet"
    with duckdb.connect(str(demo.warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'America/Sao_Paulo'")
        copy_event_log(con, sql, parquet)
        frame = _pandas_frame(con, sql)
    # The COPY writes what the pandas export wrote: names, types, values and order.
    written = pq.read_table(parquet)
    assert written.schema.names == list(frame.columns)
    assert written.schema.field("time:timestamp").type == pa.timestamp("us", tz="UTC")
    assert pd.DataFrame(written.to_pandas()).equals(frame)
    ours = _sql_payload(parquet, True, tmp_path)
    assert ours["cases"] > 100 and ours["variants"] > 10 and ours["fitting_cases_by_month"]
    _assert_same(ours, _numpy_payload(parquet, True))


def _edge_case_log(path: Path) -> None:
    """Events in file order (not sorted), with the cases the numpy path treats specially."""
    t0 = datetime(2026, 1, 31, 14, 0, tzinfo=UTC)  # Feb 1st in Tokyo, Jan 31st in UTC
    rows: list[tuple[str | None, str, datetime, str | None]] = []
    for n in range(30):
        case = f"c{n:02d}"
        start = t0 + timedelta(hours=n)  # some cases start on Feb 1st (UTC)
        if n % 3 == 0:  # a, b, c
            steps = ["a", "b", "c"]
        elif n % 3 == 1:  # a, c, b: as frequent as the first (a tie on counts)
            steps = ["a", "c", "b"]
        else:
            steps = ["a", "b"]
        for k, activity in enumerate(steps):
            rows.append((case, activity, start + timedelta(minutes=7 * k * (n + 1)), "u1"))
    # Equal timestamps: the file's order decides (b before a here).
    rows += [("tie", "b", t0, None), ("tie", "a", t0, None), ("tie", "c", t0, "u2")]
    rows.append(("single", "c", t0 + timedelta(days=40), None))  # a one-event case
    rows += [("", "only-without-case", t0, None), ("  ", "a", t0, None), (None, "b", t0, None)]
    rows.append(("late", "b", t0 - timedelta(days=3), None))  # listed last, starts first
    rows.append(("c05", "a", t0 - timedelta(hours=1), "u1"))  # out of order in the file
    case, activity, stamp, unit = zip(*rows, strict=True)
    pq.write_table(
        pa.table(
            {
                "case:concept:name": pa.array(case, pa.string()),
                "concept:name": pa.array(activity, pa.string()),
                "time:timestamp": pa.array(stamp, pa.timestamp("us", tz="UTC")),
                "org:resource": pa.array(unit, pa.string()),
            }
        ),
        path,
    )


@pytest.mark.parametrize("events_per_part", [None, 3], ids=["one part", "parts of 3 events"])
def test_edge_cases_mined_in_sql_equal_the_numpy_summary(tmp_path, monkeypatch, events_per_part):
    """Also with the cases' sequences built a few cases at a time (as under a memory limit
    too small for the whole log's lists)."""
    if events_per_part:
        monkeypatch.setattr(sql_summary_module, "BYTES_PER_EVENT", 200e6 / events_per_part)
    parquet = tmp_path / "edge.parquet"
    _edge_case_log(parquet)
    for with_model in (False, True):
        ours = _sql_payload(parquet, with_model, tmp_path)
        _assert_same(ours, _numpy_payload(parquet, with_model))
    assert ours["events_without_case"] == 3
    assert ours["map"]["activities"][-1] == {
        "name": "only-without-case",
        "count": 0,
        "mean_position": 0.0,
    }
    assert set(ours["fitting_cases_by_month"]) == {"2026-01", "2026-02", "2026-03"}


def test_an_empty_log_mined_in_sql_equals_the_numpy_summary(tmp_path):
    parquet = tmp_path / "empty.parquet"
    pq.write_table(
        pa.table(
            {
                "case:concept:name": pa.array([], pa.string()),
                "concept:name": pa.array([], pa.string()),
                "time:timestamp": pa.array([], pa.timestamp("us", tz="UTC")),
                "org:resource": pa.array([], pa.string()),
            }
        ),
        parquet,
    )
    for with_model in (False, True):
        _assert_same(
            _sql_payload(parquet, with_model, tmp_path), _numpy_payload(parquet, with_model)
        )
