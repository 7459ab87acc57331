"""The nightly summary of an event log file, computed out of core in DuckDB.

The same JSON payload as `summary.summarise(...).to_json()` on the numpy `EventLog`, but the
events never enter Python: cases, positions, the directly-follows graph, durations and the
variants are DuckDB queries over the Parquet file, under the connection's `memory_limit`
(spilling to its `temp_directory`). Only the distinct variants (tens of thousands) come to
Python, for the aligner and its cache. The orders are the numpy path's: cases by first
appearance in the file, events by case, time, then file order; variants by count, then by
their first case; edges by count, then source and target.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import duckdb
import numpy as np
import pyarrow as pa

from upflux_etl.mining.bpmn import Model
from upflux_etl.mining.cache import AlignmentCache
from upflux_etl.mining.conformance import Conformance, conformance
from upflux_etl.mining.dfg import Edge
from upflux_etl.mining.durations import DurationStats
from upflux_etl.mining.variants import Variants
from upflux_etl.warehouse.build import memory_bytes
from upflux_etl.warehouse.files import sql_literal

# What Python's `str.strip()` removes (none above U+3000): an id made only of these is no case.
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())

# Cases (non-blank ids) and activities are numbered by first appearance in the file.
_STEPS = [
    """create temp view _raw as
    select coalesce("case:concept:name", '') as case_id,
           coalesce("concept:name", '') as activity,
           epoch_ns("time:timestamp") as ns,
           file_row_number as row
    from read_parquet('{parquet}', file_row_number = true)""",
    """create temp table _activities as
    select activity, row_number() over (order by min(row)) - 1 as act
    from _raw group by activity""",
    # Blank ids are found on the distinct ids, not on every event.
    """create temp table _cases as
    select case_id, row_number() over (order by first_row) - 1 as case_no, events
    from (select case_id, min(row) as first_row, count(*) as events from _raw group by case_id)
    where trim(case_id, $blank) <> ''""",
    """create temp table _counts as
    select (select count(*) from _raw) as all_events,
           (select coalesce(sum(events), 0) from _cases) as events,
           (select count(*) from _cases) as cases""",
    """create temp table _events as
    select c.case_no, a.act, r.ns,
           row_number() over w - 1 as pos,
           lead(a.act) over w as next_act,
           lead(r.ns) over w - r.ns as gap
    from _raw as r
    inner join _cases as c on r.case_id = c.case_id
    inner join _activities as a on r.activity = a.activity
    window w as (partition by c.case_no order by r.ns, r.row)""",
    "drop view _raw",
    # Filled by `_case_sequences`, a part of the cases at a time.
    """create temp table _case_seq
    (case_no bigint, seq bigint[], first_ns bigint, last_ns bigint)""",
]
# After `_case_seq` is filled.
_VARIANT_STEPS = [
    """create temp table _variants as
    select seq, cases, row_number() over (order by cases desc, first_case) - 1 as variant
    from (select seq, count(*) as cases, min(case_no) as first_case
          from _case_seq group by seq)""",
]
# An ordered list aggregate keeps every group's list in memory (it does not spill): each of
# `_case_sequences`' statements takes at most this many bytes of the memory limit per event.
BYTES_PER_EVENT = 64
_VARIANT_BATCH = 1_000  # variants fetched at a time
_TABLES = ("_raw", "_activities", "_cases", "_events", "_counts", "_case_seq", "_variants")


@dataclass(frozen=True)
class LogTables:
    """What the summary needs of the log, out of DuckDB: small (per variant, edge, activity).

    Attributes:
        cases, events, without_case: as `EventLog.n_cases`, `n_events` and `without_case`.
        names: the activities, by first appearance in the file.
        variants: the distinct variants, most frequent first (`of_case` empty: per-case data
            stays in DuckDB).
        edges: the directly-follows graph's edges, most frequent first.
        durations: the case durations' statistics.
        activities: per activity, its count and mean position in the cases (the map's).
        months: (month of the case's first event in UTC "YYYY-MM", variant, cases).
    """

    cases: int
    events: int
    without_case: int
    names: list[str]
    variants: Variants
    edges: list[Edge]
    durations: DurationStats
    activities: list[dict]
    months: list[tuple[str, int, int]]


def sql_summary(
    con: duckdb.DuckDBPyConnection,
    parquet: Path,
    model: Model | None = None,
    cache: AlignmentCache | None = None,
    top: int = 10,
    map_edges: int = 60,
) -> dict[str, Any]:
    """The payload of `summarise(...).to_json(top)`, plus `map` and `aligned_now`.

    Args:
        con: a DuckDB connection (its `memory_limit` and `temp_directory` set).
        parquet: the event log file (XES column names, as the nightly writes it).
        model: the reference model (adds conformance).
        cache: alignments kept across runs (new ones are added).
        top: how many variants, edges and deviations the payload lists.
        map_edges: how many edges (the most frequent) the process map keeps.
    """
    return summary_payload(log_tables(con, parquet), model, cache, top, map_edges)


def log_tables(con: duckdb.DuckDBPyConnection, parquet: Path) -> LogTables:
    """Mine the log file in DuckDB; its temporary tables `_*` are dropped on return."""
    try:
        for step in _STEPS:
            if "{parquet}" in step:  # a view takes no parameters
                step = step.replace("'{parquet}'", sql_literal(parquet))
            con.execute(step, {"blank": WHITESPACE} if "$blank" in step else {})
        _case_sequences(con)
        for step in _VARIANT_STEPS:
            con.execute(step)
        names = [
            r[0] for r in con.execute("select activity from _activities order by act").fetchall()
        ]
        all_events, events, cases = con.execute("select * from _counts").fetchall()[0]
        found_edges, durations = edge_stats(con, names), durations_of(con)
        activities, months = activity_stats(con, names), _months(con)
        # The per-event and per-case tables go before the variants come to Python: DuckDB's
        # memory and theirs would otherwise add up (at scale 40, 90K variants hold 62M
        # activities).
        for table in ("_events", "_case_seq", "_cases"):
            con.execute(f"drop table {table}")
        return LogTables(
            cases=int(cases),
            events=int(events),
            without_case=int(all_events - events),
            names=names,
            variants=fetch_variants(con, names),
            edges=found_edges,
            durations=durations,
            activities=activities,
            months=months,
        )
    finally:
        for table in _TABLES:
            con.execute(f"drop {'view' if table == '_raw' else 'table'} if exists {table}")


def _case_sequences(con: duckdb.DuckDBPyConnection) -> None:
    """Fill `_case_seq` from `_events`: each case's activities in order, first and last time.

    In as many parts (cases by their number modulo the parts) as the memory limit needs.
    """
    events = con.execute("select events from _counts").fetchall()[0][0]  # the rows of _events
    limit = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    parts = max(1, math.ceil(events * BYTES_PER_EVENT / memory_bytes(str(limit))))
    for part in range(parts):
        con.execute(
            """insert into _case_seq
            select case_no, list(act order by pos), min(ns), max(ns)
            from _events where case_no % $parts = $part group by case_no""",
            {"parts": parts, "part": part},
        )


def summary_payload(
    tables: LogTables,
    model: Model | None = None,
    cache: AlignmentCache | None = None,
    top: int = 10,
    map_edges: int = 60,
) -> dict[str, Any]:
    """The summary's JSON from the mined tables, with conformance when `model` is given."""
    found, edges = tables.variants, tables.edges
    payload: dict[str, Any] = {
        "cases": tables.cases,
        "events": tables.events,
        "events_without_case": tables.without_case,
        "activities": len(tables.names),
        "variants": len(found.sequences),
        "edges": len(edges),
        "case_duration_seconds": asdict(tables.durations),
        "top_variants": [
            {"activities": list(s), "cases": int(c), "coverage": float(cov)}
            for s, c, cov in zip(
                found.sequences[:top], found.counts[:top], found.coverage[:top], strict=True
            )
        ],
        "top_edges": [asdict(e) for e in edges[:top]],
    }
    result: Conformance | None = None
    if model is not None:
        result = conformance(found, model, cache)
        payload["fitness"] = result.fitness
        payload["fitness_deviations"] = result.fitness_deviations
        payload["fitting_cases"] = result.fitting_share
        payload["fitting_cases_by_month"] = _monthly_rate(tables.months, result)
        payload["top_deviations"] = [
            {"kind": k, "activity": a, "count": n} for k, a, n in result.top_deviations(found, top)
        ]
    payload["map"] = {
        "activities": tables.activities,
        "edges": [
            {"source": e.source, "target": e.target, "count": e.count} for e in edges[:map_edges]
        ],
    }
    if result is not None:
        payload["aligned_now"] = result.aligned_now
    return payload


def fetch_variants(con: duckdb.DuckDBPyConnection, names: list[str]) -> Variants:
    """The distinct variants, most frequent first (ties: the earlier first case first)."""
    shared = np.empty(len(names), dtype=object)
    shared[:] = names
    sequences: list[tuple[str, ...]] = []
    counts: list[int] = []
    # In batches: the variants of long stays hold thousands of activities, and all of them
    # at once as Python lists of numbers, beside their tuples, doubled the step's peak.
    query = con.sql("select seq, cases from _variants order by variant")
    reader = cast(pa.RecordBatchReader, query.to_arrow_reader(_VARIANT_BATCH))
    for batch in reader:
        seqs = batch.column(0)
        flat = shared[seqs.flatten().to_numpy()].tolist()
        bounds = (seqs.offsets.to_numpy() - seqs.offsets[0].as_py()).tolist()
        sequences.extend(tuple(flat[a:b]) for a, b in itertools.pairwise(bounds))
        counts.extend(batch.column(1).to_pylist())
    return Variants(
        sequences=sequences,
        counts=np.array(counts, dtype=np.int64),
        of_case=np.zeros(0, dtype=np.int64),  # per case: stays in DuckDB
    )


# Each directly-follows step's gap, counted: (act, next_act, gap, k), null gaps included.
_EVENT_GAPS = """(select act, next_act, gap, count(*) as k from _events
    where next_act is not null group by all)"""


def edge_stats(
    con: duckdb.DuckDBPyConnection, names: list[str], gaps: str = _EVENT_GAPS
) -> list[Edge]:
    """Directly-follows edges with their mean and median gap (as `dfg.directly_follows`).

    `gaps` counts each edge's gaps (act, next_act, gap, k; a null gap where a time is
    missing): from `_events` here, kept between nights by `log_state`. DuckDB's `median` holds
    every value of a group in memory; here the median is found on the distinct gaps of each
    edge with their counts, by running sums (both spill): the one or two middle values,
    averaged (as `median`, and numpy's, do). The mean is the exact sum over the count.
    """
    rows = con.execute(
        f"""with per_gap as (select * from {gaps} where k > 0),
        ranked as (
            select act, next_act, gap, k,
                   sum(k) over (partition by act, next_act order by gap
                                rows unbounded preceding) - k as below,
                   sum(k) over (partition by act, next_act) as n
            from per_gap where gap is not null),
        medians as (
            select act, next_act, avg(gap) as median from ranked
            where (n + 1) // 2 between below + 1 and below + k
               or (n + 2) // 2 between below + 1 and below + k
            group by act, next_act)
        select e.act, e.next_act, e.n, e.total / e.timed / 1e9, m.median / 1e9
        from (select act, next_act, sum(k) as n,
                     sum(cast(gap as hugeint) * k) as total,
                     sum(k) filter (where gap is not null) as timed
              from per_gap group by act, next_act) as e
        left join medians as m on e.act = m.act and e.next_act = m.next_act"""
    ).fetchall()
    found = [
        Edge(
            source=names[a],
            target=names[b],
            count=int(n),
            mean_seconds=float(mean),
            median_seconds=float(median),
        )
        for a, b, n, mean, median in rows
    ]
    found.sort(key=lambda e: (-e.count, e.source, e.target))
    return found


def durations_of(con: duckdb.DuckDBPyConnection) -> DurationStats:
    """Case durations (first to last event) as `durations.stats` gives them."""
    row = con.execute(
        """select count(*), avg(s), quantile_cont(s, 0.5), quantile_cont(s, 0.9), min(s), max(s)
        from (select (last_ns - first_ns) / 1e9 as s from _case_seq)"""
    ).fetchall()[0]
    if not row[0]:
        return DurationStats(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    count, mean, p50, p90, low, high = row
    return DurationStats(int(count), float(mean), float(p50), float(p90), float(low), float(high))


def _months(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """Cases per month of their first event (UTC, "YYYY-MM") and variant."""
    rows = con.execute(
        """select strftime(make_timestamp(c.first_ns // 1000), '%Y-%m') as month, v.variant,
               count(*)
        from _case_seq as c inner join _variants as v on c.seq = v.seq
        group by month, v.variant"""
    ).fetchall()
    return [(str(month), int(variant), int(n)) for month, variant, n in rows]


def _monthly_rate(months: list[tuple[str, int, int]], result: Conformance) -> dict[str, float]:
    """Share of fitting cases per month (as `conformance.monthly_rate`), sorted by month."""
    fitting: dict[str, int] = {}
    total: dict[str, int] = {}
    for month, variant, n in months:
        total[month] = total.get(month, 0) + n
        fitting[month] = fitting.get(month, 0) + (
            n if not result.alignments[variant].deviations else 0
        )
    return {month: fitting[month] / total[month] for month in sorted(total)}


def activity_stats(con: duckdb.DuckDBPyConnection, names: list[str]) -> list[dict]:
    """Each activity's count and mean position (0 = first event of its case)."""
    found = {
        act: (int(n), float(mean))
        for act, n, mean in con.execute(
            "select act, count(*), avg(pos) from _events group by act"
        ).fetchall()
    }
    # An activity seen only in events without a case: count 0, position 0 (as numpy's).
    return [
        {
            "name": name,
            "count": found.get(i, (0, 0.0))[0],
            "mean_position": found.get(i, (0, 0.0))[1],
        }
        for i, name in enumerate(names)
    ]
