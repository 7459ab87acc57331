"""The nightly event log kept between loads and rewritten case by case (`mining/log.duckdb`).

Every event of a case comes from rows that carry the case's `encounter_id` (the event log's
query joins and partitions by it), so a load changes only the cases of the rows it wrote or
removed. Each night the published warehouse is compared with the one before it
(`warehouse.previous.duckdb`) the way the indicators compare a build with its base
(`indicators/periods.py`): the rows the load wrote carry its `_load_id`; every other row is a
copy of a previous row unless counts show rows removed (tombstones, exclusions), which an
anti-join then finds. Only the changed cases' events are read from the warehouse again and
rewritten, in one transaction (a killed night leaves the log as it was); the summary is then
aggregated from the stored per-event and per-case columns (`state_tables`): no sort, window or
join of the whole log, and nothing written but the change.

The file, attached as `st`:
- `log_state`: one row: the file's format, the query's hash, the publication the log reflects;
- `activities(act, activity)`: numbers given on first sight, never reused;
- `events`: the event log (`log_rows`' columns) with, per event of a case with an id, its
  activity's number, its position in the case, the next event's activity and the gap to it;
- `cases(case_id, seq, first_ns, last_ns, events)`: per case with an id, its activities in
  order and its first and last time (ns since the epoch).

The log is rebuilt whole when there is no file yet, its format or the query changed, the load
was a full one, or the publication the log reflects is not the one the load built on (a night
without mining, another load published in between): `Refresh.reason` says which.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from upflux_etl.mining.sql_summary import (
    BYTES_PER_EVENT,
    WHITESPACE,
    LogTables,
    activity_stats,
    durations_of,
    edge_stats,
    fetch_variants,
)
from upflux_etl.mining.warehouse_log import log_rows
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.build import limit_memory, memory_bytes
from upflux_etl.warehouse.files import first_row, scalar, sql_literal, table_columns

FORMAT = 1
CASE_COLUMN = "encounter_id"  # what the event log's case id is, in every dataset it reads

_TABLES = [
    "create table if not exists st.log_state "
    "(format integer, log_hash varchar, version varchar, load_id varchar)",
    "create table if not exists st.activities (act integer, activity varchar)",
    """create table if not exists st.events (
        case_id varchar, activity varchar, occurred_at timestamptz, unit varchar,
        activity_rank integer, act integer, pos bigint)""",
    """create table if not exists st.cases
        (case_id varchar, seq integer[], first_ns bigint, last_ns bigint, events bigint)""",
    "create table if not exists st.gaps (act integer, next_act integer, gap bigint, k bigint)",
]


@dataclass(frozen=True)
class Refresh:
    """What a night did to the kept log.

    Attributes:
        mode: "rebuilt" (every case), "updated" (the changed cases) or "unchanged".
        reason: why it was rebuilt (empty otherwise).
        cases: the cases whose events were read again (every case on a rebuild).
    """

    mode: str
    reason: str
    cases: int


@contextmanager
def open_log_state(
    path: Path, timezone: str, memory_limit: str, spill: Path
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with the log file attached as `st`, in the hospital's zone.

    A scratch file beside it (`scratch`, removed on close) takes the night's intermediate
    tables: written in the log file, they would leave it their size in free blocks.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".scratch.duckdb")
    _remove(scratch)
    con = duckdb.connect()
    try:
        limit_memory(con, memory_limit, spill)
        con.execute("set TimeZone = ?", [timezone])
        con.execute("set parquet_metadata_cache = true")  # as files.connect: parts never change
        con.execute(f"attach {sql_literal(path)} as st")
        con.execute(f"attach {sql_literal(scratch)} as scratch")
        for statement in _TABLES:
            con.execute(statement)
        yield con
    finally:
        con.close()
        _remove(scratch)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def refresh_log(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    keys: Mapping[str, Sequence[str]],
    published: Path,
    previous: Path,
) -> Refresh:
    """Bring the kept log (`st`) to the published warehouse's event log.

    Args:
        con: from `open_log_state`.
        sql: the event log's query (`assets/eventlog/encounter_events.sql`).
        keys: each canonical dataset's primary key.
        published: the published warehouse.
        previous: the warehouse published before it.
    """
    digest = hashlib.sha256(sql.encode("utf-8")).hexdigest()
    attached = []
    try:
        for name, path in (("wh", published), ("prev", previous)):
            if path.exists():
                con.execute(f"attach {sql_literal(path)} as {name} (read_only)")
                attached.append(name)
        version, load_id, mode, base = first_row(
            con,
            "select p.version, p.load_id, l.mode, l.base_version from wh.meta.publication as p "
            "left join wh.meta.loads as l using (load_id) order by p.published_at desc limit 1",
        ) or (None, None, None, None)
        kept = first_row(con, "select format, log_hash, version from st.log_state")
        if kept == (FORMAT, digest, version):
            return Refresh("unchanged", "", 0)
        datasets = _datasets(sql)
        reason = _why_whole(kept, digest, mode, base) or _unreadable_change(
            con, datasets, keys, base, "prev" in attached
        )
        if reason:
            return Refresh("rebuilt", reason, _rebuild(con, sql, digest, version, load_id))
        cases = _changed_cases(con, datasets, keys, load_id)
        _update(con, sql, datasets, digest, version, load_id)
        return Refresh("updated", "", cases)
    finally:
        con.execute("use memory")
        for name in attached:
            con.execute(f"detach {name}")


def _why_whole(kept: tuple | None, digest: str, mode: str | None, base: str | None) -> str:
    if kept is None:
        return "first night"
    if kept[0] != FORMAT:
        return f"the log's format changed ({kept[0]} -> {FORMAT})"
    if kept[1] != digest:
        return "the event log's query changed"
    if mode != "incremental":
        return f"a {mode or 'unrecorded'} load"
    if base != kept[2]:
        return "the load was built on another publication than the log's (a night skipped)"
    return ""


def _datasets(sql: str) -> list[str]:
    """The warehouse tables (`main.<dataset>`) the query reads."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return sorted({t.name for t in tree.find_all(exp.Table) if t.db == "main"})


def _unreadable_change(
    con: duckdb.DuckDBPyConnection,
    datasets: list[str],
    keys: Mapping[str, Sequence[str]],
    base: str | None,
    has_previous: bool,
) -> str:
    """Why the change cannot be read case by case from `wh` and `prev` ("" when it can)."""
    if not has_previous:
        return "no previous warehouse to compare with"
    version = scalar(
        con, "select version from prev.meta.publication order by published_at desc limit 1"
    )
    if version != base:
        return "the previous warehouse is not the publication the load built on"
    if folder := parts.moved(con, "prev", "wh"):
        return f"the hospital's folder moved (the previous views name {folder})"
    for dataset in datasets:
        new, old = (
            table_columns(con, "main", dataset, "wh"),
            table_columns(con, "main", dataset, "prev"),
        )
        if dataset not in keys:
            return f"the query reads {dataset}, which is not a canonical dataset"
        if new != old:
            return f"dataset {dataset} is new or changed its columns"
        if new and not {CASE_COLUMN, "_load_id"} <= set(new):
            return f"dataset {dataset} has no {CASE_COLUMN} or _load_id"
    return ""


def _changed_cases(
    con: duckdb.DuckDBPyConnection,
    datasets: list[str],
    keys: Mapping[str, Sequence[str]],
    load_id: str,
) -> int:
    """Fill `temp._changed` with the cases of the rows the load wrote or removed; how many.

    The previous rows of the keys the load wrote (before images) and the rows it wrote (after
    images); the previous rows missing from the published warehouse only when counts show some
    were removed outside those keys (as `periods._before_images`).
    """
    con.execute("create or replace temp table _changed (case_id varchar)")
    case = f'cast("{CASE_COLUMN}" as varchar)'
    for dataset in datasets:
        if not table_columns(con, "main", dataset, "wh"):
            continue
        using = ", ".join(f'"{k}"' for k in keys[dataset])
        new, old = f'wh.main."{dataset}"', f'prev.main."{dataset}"'
        con.execute(
            f'create or replace temp table _written as select {using}, "{CASE_COLUMN}" '
            f"from {new} where _load_id = ?",
            [load_id],
        )
        con.execute(f"insert into _changed select {case} from _written")
        con.execute(
            f"insert into _changed select {case} from {old} semi join _written using ({using})"
        )
        old_rest = parts.count_rows(con, dataset, "prev") - scalar(
            con, f"select count(*) from {old} join _written using ({using})"
        )
        new_rest = parts.count_rows(con, dataset, "wh") - scalar(
            con, "select count(*) from _written"
        )
        if old_rest != new_rest:
            con.execute(
                f"insert into _changed select {case} from {old} anti join {new} using ({using})"
            )
        con.execute("drop table _written")
    con.execute("create or replace temp table _changed as select distinct case_id from _changed")
    return int(scalar(con, "select count(*) from _changed"))


def _update(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    datasets: list[str],
    digest: str,
    version: str,
    load_id: str,
) -> None:
    """Rewrite the changed cases (and the events without a case).

    The query runs on views of the published datasets restricted to those cases: their rows
    only are read. The gap counts lose the removed events' steps and gain the new ones. The
    log changes in one transaction.
    """
    changed = "select case_id from temp.main._changed"
    # Events without a case are read again every night (rows with a null or blank id).
    con.execute(
        "insert into _changed select distinct case_id from st.events "
        "where pos is null and case_id is not null"
    )
    con.execute("attach ':memory:' as scope")
    try:
        for dataset in datasets:
            con.execute(
                f'create view scope.main."{dataset}" as select * from wh.main."{dataset}" '
                f'where "{CASE_COLUMN}" is null or cast("{CASE_COLUMN}" as varchar) in ({changed})'
            )
        _steps(con, sql, "scope")
    finally:
        con.execute("use memory")
        con.execute("detach scope")
    with _night(con, digest, version, load_id):
        removed = con.sql(
            f"delete from st.events where case_id in ({changed}) or case_id is null "
            "returning case_id, act, pos, occurred_at"
        ).to_arrow_table()
        con.execute(f"delete from st.cases where case_id in ({changed})")
        con.register("_removed", removed)
        _count_gaps(
            con,
            """select act, next_act, gap, -1 as k from (
                select act, lead(act) over w as next_act,
                       lead(epoch_ns(occurred_at)) over w - epoch_ns(occurred_at) as gap
                from _removed where pos is not null
                window w as (partition by case_id order by pos))
            where next_act is not null
            union all select act, next_act, gap, 1 from scratch._steps
            where next_act is not null""",
        )
        con.unregister("_removed")
    con.execute("drop table temp.main._changed")


def _rebuild(
    con: duckdb.DuckDBPyConnection, sql: str, digest: str, version: str, load_id: str
) -> int:
    """Write every case again from the published warehouse; how many.

    The log changes in one transaction.
    """
    _steps(con, sql, "wh")  # activities keep their numbers; new ones are added
    with _night(con, digest, version, load_id):
        for table in ("log_state", "events", "cases", "gaps"):
            con.execute(f"delete from st.{table}")
        _count_gaps(
            con, "select act, next_act, gap, 1 as k from scratch._steps where next_act is not null"
        )
    return int(scalar(con, "select count(*) from st.cases"))


@contextmanager
def _night(
    con: duckdb.DuckDBPyConnection, digest: str, version: str, load_id: str
) -> Iterator[None]:
    """The night's one transaction around the body's removals and counts.

    Then `scratch._steps` is kept and the publication recorded; any failure rolls it all back.
    """
    con.execute("begin")
    try:
        yield
        _keep_steps(con)
        _record(con, digest, version, load_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("checkpoint st")


def _steps(con: duckdb.DuckDBPyConnection, sql: str, catalog: str) -> None:
    """Make `scratch._steps`: the query's events, each with its place in its case.

    The query reads `catalog` (its `main` is the warehouse's). Each event gets its position in
    its case, the next activity and the gap to it. The rows land first as they come (the query's scan and the per-case window in one
    pipeline would hold the whole log), new activities are numbered, then each case's events
    are ordered by time (equal times in process order).
    """
    con.execute(f"use {catalog}")
    rows = log_rows(con, sql)
    con.execute("create or replace table scratch._rows as " + rows)
    con.execute("use memory")
    con.execute(
        """insert into st.activities
        select (select coalesce(max(act), -1) from st.activities)
               + row_number() over (order by activity), activity
        from (select distinct coalesce(activity, '') as activity from scratch._rows)
        where activity not in (select activity from st.activities)"""
    )
    # Blank ids (no case, as `sql_summary` and `upflux mine` read them) found on the distinct
    # ids, not on every event.
    con.execute(
        "create or replace temp table _blank as select case_id from "
        "(select distinct case_id from scratch._rows where case_id is not null) "
        "where trim(case_id, $blank) = ''",
        {"blank": WHITESPACE},
    )
    con.execute(
        """create or replace table scratch._steps as
        select r.case_id, a.activity, r.occurred_at, r.unit, r.activity_rank, a.act,
               case when r.has_id then row_number() over w - 1 end as pos,
               case when r.has_id then lead(a.act) over w end as next_act,
               case when r.has_id then lead(epoch_ns(r.occurred_at)) over w
                                       - epoch_ns(r.occurred_at) end as gap
        from (select *, case_id is not null and case_id not in (select case_id from _blank)
                        as has_id
              from scratch._rows) as r
        inner join st.activities as a on coalesce(r.activity, '') = a.activity
        window w as (partition by r.case_id
                     order by r.occurred_at, r.activity_rank, a.act, r.unit)"""
    )
    con.execute("drop table _blank")
    con.execute("drop table scratch._rows")


def _keep_steps(con: duckdb.DuckDBPyConnection) -> None:
    """Add `scratch._steps` to the log: its events and its cases' sequences.

    The sequences in as many parts as memory needs.
    """
    con.execute(
        "insert into st.events select case_id, activity, occurred_at, unit, activity_rank, "
        "act, pos from scratch._steps"
    )
    count = scalar(con, "select count(*) from scratch._steps where pos is not null")
    limit = scalar(con, "select current_setting('memory_limit')")
    parts = max(1, -(-count * BYTES_PER_EVENT // int(memory_bytes(str(limit)))))
    for part in range(parts):
        con.execute(
            """insert into st.cases
            select case_id, list(act order by pos), min(epoch_ns(occurred_at)),
                   max(epoch_ns(occurred_at)), count(*)
            from scratch._steps
            where pos is not null and hash(case_id) % $parts = $part
            group by case_id""",
            {"parts": parts, "part": part},
        )


def _count_gaps(con: duckdb.DuckDBPyConnection, steps: str) -> None:
    """Add `steps` (act, next_act, gap, k: +1 a new step, -1 a removed one) to `st.gaps`."""
    con.execute(
        f"""create or replace temp table _delta as
        select act, next_act, gap, sum(k) as k from ({steps}) group by all"""
    )
    match = "g.act = d.act and g.next_act = d.next_act and g.gap is not distinct from d.gap"
    con.execute(
        f"""create or replace temp table _merged as
        select d.act, d.next_act, d.gap, coalesce(g.k, 0) + d.k as k
        from _delta as d left join st.gaps as g on {match}"""
    )
    con.execute(f"delete from st.gaps as g where exists (select 1 from _delta as d where {match})")
    con.execute("insert into st.gaps select * from _merged where k <> 0")
    con.execute("drop table _delta")
    con.execute("drop table _merged")


def _record(con: duckdb.DuckDBPyConnection, digest: str, version: str, load_id: str) -> None:
    con.execute("delete from st.log_state")
    con.execute("insert into st.log_state values (?, ?, ?, ?)", [FORMAT, digest, version, load_id])


def state_tables(con: duckdb.DuckDBPyConnection) -> LogTables:
    """The summary's tables (as `sql_summary.log_tables` gives them) from the kept log.

    Activities are numbered by first appearance in the log's order (case id, then position;
    events without a case by id, nulls last, then time): `sql_summary`'s numbers on the
    sorted file.
    """
    names, codes = _numbering(con)
    mapped = (
        "cast([" + ", ".join("null" if c is None else str(c) for c in codes) + "] as integer[])"
    )
    try:
        con.execute(
            f"create temp view _events as select {mapped}[act + 1] as act, pos "
            "from st.events where pos is not null"
        )
        con.execute("create temp view _case_seq as select first_ns, last_ns from st.cases")
        con.execute(
            f"""create temp table _variants as
            select list_transform(stable, lambda x: {mapped}[x + 1]) as seq, stable, cases,
                   row_number() over (order by cases desc, first_case) - 1 as variant
            from (select seq as stable, count(*) as cases, min(case_id) as first_case
                  from st.cases group by seq)"""
        )
        all_events, events, cases = first_row(
            con,
            "select (select count(*) from st.events), "
            "(select count(*) from st.events where pos is not null), "
            "(select count(*) from st.cases)",
        ) or (0, 0, 0)
        months = [
            (str(month), int(variant), int(n))
            for month, variant, n in con.execute(
                """select strftime(make_timestamp(c.first_ns // 1000), '%Y-%m') as month,
                       v.variant, count(*)
                from st.cases as c inner join _variants as v on c.seq = v.stable
                group by month, v.variant"""
            ).fetchall()
        ]
        edges, durations = edge_stats(con, names, _mapped_gaps(mapped)), durations_of(con)
        activities = activity_stats(con, names)
        # The variants come to Python last, once DuckDB has let go of the log's pages it
        # cached (up to its limit): both at once added up (1.5 GB at scale 40).
        limit = scalar(con, "select current_setting('memory_limit')")
        con.execute("set memory_limit = '64MB'")
        con.execute(f"set memory_limit = '{limit}'")
        return LogTables(
            cases=int(cases),
            events=int(events),
            without_case=int(all_events - events),
            names=names,
            variants=fetch_variants(con, names),
            edges=edges,
            durations=durations,
            activities=activities,
            months=months,
        )
    finally:
        con.execute("drop view if exists _events")
        con.execute("drop view if exists _case_seq")
        con.execute("drop table if exists _variants")


def _mapped_gaps(mapped: str) -> str:
    return f"(select {mapped}[act + 1] as act, {mapped}[next_act + 1] as next_act, gap, k from st.gaps)"


def _numbering(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[int | None]]:
    """(activities in order of first appearance, each stable number's place in that order)."""
    first: dict[int, tuple] = {}
    for act, case_id, pos in con.execute(
        """with firsts as (select act, min(case_id) as case_id from st.events
                           where pos is not null group by act)
        select e.act, e.case_id, min(e.pos) from st.events as e
        inner join firsts as f on e.act = f.act and e.case_id = f.case_id
        group by e.act, e.case_id"""
    ).fetchall():
        first[act] = (False, case_id, (pos,))
    for act, key in con.execute(
        """select act, min({n: case_id is null, c: coalesce(case_id, ''),
                           t: coalesce(epoch_ns(occurred_at), 9223372036854775807),
                           r: coalesce(activity_rank, 2147483647)})
        from st.events where pos is null group by act"""
    ).fetchall():
        candidate = (key["n"], key["c"], (key["t"], key["r"]))
        if act not in first or candidate < first[act]:
            first[act] = candidate
    order = sorted(first, key=lambda act: first[act])
    stable = dict(con.execute("select act, activity from st.activities").fetchall())
    codes: list[int | None] = [None] * (max(stable, default=-1) + 1)
    for code, act in enumerate(order):
        codes[act] = code
    return [stable[act] for act in order], codes
