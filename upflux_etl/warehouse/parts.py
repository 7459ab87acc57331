"""A dataset's published rows as immutable Parquet parts; the warehouse file is their catalog.

`main."<ds>"` is a view. Its rows are those of the dataset's parts (files under
`<hospital>/tables/<ds>/`, listed in `meta.parts`) less the rows removed since a part was
written (`removed."<ds>"`: the part, and the row's position in its file), with the columns and
types of `shape."<ds>"` (an empty table). A part is never rewritten: a load's new rows become a new
part, the rows it replaces, deletes or excludes become entries in `removed`. So a load writes
what it brings, and the warehouse file a build copies holds the catalog, the meta tables,
the quarantine and the held rows, not the history.

Compaction keeps reads fast and the removals few: a part with a quarter of its rows removed is
rewritten alone, and eight or more parts under `SMALL_PART_ROWS` rows are merged into one;
each row is rewritten a bounded number of times, so the writes stay proportional to the
changes over the loads.

Each part carries its number in a `_part` column (constant, a few bytes in Parquet), which the
view's anti-join reads and then drops; only parts with removals are anti-joined, on the part and
the row's position (`file_row_number`, which Parquet gives without reading a column): two
integers, where the key's text made every read of a dataset with removals 4x slower
(docs/DECISIONS.md). A removal is found by the key, like any filter, and recorded by position.
The views name the parts by absolute path: a build sets the hospital's folder (`meta.storage`)
and rewrites the views when it moved. A failed or killed run leaves parts no catalog names; `prune` removes
them, and the parts only older publications named, at the next publication.

Counts over a dataset (a dataset-level check's rows and present values) are counters, not
scans: a part's count is taken once and kept in `meta.part_counts` (the part never changes),
less the same count over the part's removed rows (`live_counts`). Those are counted when the
rows are removed, over the rows just removed (read by position), for every count asked before
(`meta.count_exprs`), and added up in `meta.removed_counts`; `meta.removed_counted` says how
many of a part's removed rows they cover. A count whose removed rows are not all covered (asked
for the first time, or a catalog written before) reads the part's removed rows once, and keeps
the result.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from upflux_etl.warehouse.files import (
    column_types,
    first_row,
    has_table,
    insert_rows,
    scalar,
    schema_tables,
    sql_literal,
    table_columns,
)

TABLES = "tables"  # the parts' folder in the hospital's folder
_MOVED_ROOT = "upflux_parts_root"  # a reader's session variable (`read_moved`)
PART = "_part"
ROW = "_row"  # a removed row's position in its part's file (Parquet's `file_row_number`)

# Compaction: parts under this many rows are small; this many small parts are merged into one;
# a part with this share of its rows removed is rewritten.
SMALL_PART_ROWS = 1_000_000
MERGE_SMALL_PARTS = 8
REWRITE_REMOVED_SHARE = 0.25

PARTS_DDL = """
create schema if not exists shape;
create schema if not exists removed;
create table if not exists meta.parts (
    dataset varchar, part integer, file varchar, load_id varchar, rows bigint,
    primary key (dataset, part));
create table if not exists meta.storage (root varchar);
create table if not exists meta.part_counts (
    dataset varchar, part integer, expr varchar, key varchar, value bigint);
create table if not exists meta.count_exprs (
    dataset varchar, expr varchar, sql varchar, row_by varchar, key_by varchar);
create table if not exists meta.removed_counts (
    dataset varchar, part integer, expr varchar, key varchar, value bigint);
create table if not exists meta.removed_counted (
    dataset varchar, part integer, expr varchar, rows bigint);
"""
# A list of (part, count name) pairs given as a parameter, as a subquery of two columns.
_PAIRS = (
    "(select p.part, p.expr from (select unnest(?::struct(part integer, expr varchar)[]) as p))"
)
# The counters of one dataset, forgotten with its parts (`remove_all`, `drop`, `_rewrite`).
_COUNTERS = ("meta.part_counts", "meta.removed_counts", "meta.removed_counted")


def ensure_parts(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """The parts' tables, and the hospital's folder `root` recorded; views rewritten if it moved.

    Removals recorded by key (schema version 8) are recorded by position from here on.
    """
    con.execute(PARTS_DDL)
    recorded = scalar(con, "select root from meta.storage")
    if recorded != str(root):
        con.execute("delete from meta.storage")
        con.execute("insert into meta.storage values (?)", [str(root)])
    by_key = _removed_by_key(con)
    for dataset in by_key:
        _positions_from_keys(con, dataset)
    for dataset in stored_datasets(con) if recorded != str(root) else by_key:
        _refresh_view(con, dataset)


def moved(con: duckdb.DuckDBPyConnection, catalog: str, current: str | None = None) -> str | None:
    """The folder an attached `catalog`'s views name its parts under, when not the current one.

    The current one is that of `current` (another catalog), or of the connection's own. A
    catalog whose folder has moved since it was written cannot read its views (they name the
    parts by absolute path) until a build rewrites them: a reader compares it whole, or not at
    all. None when the folders agree or either catalog records none (no parts).
    """
    here, there = (_recorded_root(con, c) for c in (current, catalog))
    return there if here and there and here != there else None


def _recorded_root(con: duckdb.DuckDBPyConnection, catalog: str | None) -> str | None:
    has = scalar(
        con,
        "select count(*) from duckdb_tables() where schema_name = 'meta' "
        "and table_name = 'storage' and database_name = coalesce(?, current_database())",
        [catalog],
    )
    db = f'"{catalog}".' if catalog else ""
    return scalar(con, f"select max(root) from {db}meta.storage") if has else None


def read_moved(con: duckdb.DuckDBPyConnection, root: Path) -> bool:
    """Let a read-only connection read a catalog whose hospital folder moved to `root`.

    The catalog's views name the parts under the old folder until a build rewrites them; here,
    temporary views of the same names (which `main."<ds>"` and `"<ds>"` find first) read them
    under `root`, and so do the counters. Whether the folder had moved.
    """
    recorded = _recorded_root(con, None)
    if recorded is None or recorded == str(root):
        return False
    con.execute(f"set variable {_MOVED_ROOT} = {sql_literal(str(root))}")
    for dataset in stored_datasets(con):
        con.execute(
            f'create temp view "{dataset}" as '
            f"select * exclude ({PART}, {ROW}) from ({_rows(con, dataset)})"
        )
    return True


def stored_datasets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The datasets kept as parts (those with a `shape` table)."""
    return schema_tables(con, "shape")


def is_stored(con: duckdb.DuckDBPyConnection, dataset: str) -> bool:
    """Whether `dataset` is kept as parts (otherwise `main."<ds>"`, if any, is a plain table)."""
    return has_table(con, "shape", dataset)


def ensure_dataset(con: duckdb.DuckDBPyConnection, dataset: str, columns_sql: str) -> None:
    """Make `dataset` kept as parts, with the columns of `columns_sql` (a query; no rows read).

    Columns the shape lacks are added (a source column added to the catalog); a dataset that is
    still a plain table (written before parts, or by a test) is moved into a part first.
    """
    if not is_stored(con, dataset):
        con.execute(f'create table shape."{dataset}" as select * from ({columns_sql}) where false')
        con.execute(f'create table removed."{dataset}" ({PART} integer, {ROW} bigint)')
        if has_table(con, "main", dataset) and not _is_view(con, dataset):
            _table_to_part(con, dataset)
        _refresh_view(con, dataset)
        return
    have = set(table_columns(con, "shape", dataset))
    new = con.execute(f"describe select * from ({columns_sql}) where false").fetchall()
    added = [(name, kind) for name, kind, *_ in new if name not in have]
    for name, kind in added:
        con.execute(f'alter table shape."{dataset}" add column "{name}" {kind}')
    if added:
        _refresh_view(con, dataset)


def append(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    query: str,
    *,
    load_id: str,
) -> int:
    """Write the rows of `query` (the dataset's columns) as a new part; how many rows.

    Nothing is written for no rows.
    """
    part = _next_part(con, dataset)
    relative = f"{TABLES}/{dataset}/{load_id}-{part}-{uuid.uuid4().hex[:8]}.parquet"
    path = _root(con) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    written = con.execute(
        f"copy (select *, {part}::integer as {PART} from ({query})) to {sql_literal(path)} "
        "(format parquet, compression zstd)"
    ).fetchall()
    rows = int(written[0][0]) if written else 0
    if not rows:
        path.unlink(missing_ok=True)
        return 0
    con.execute(
        "insert into meta.parts values (?, ?, ?, ?, ?)", [dataset, part, relative, load_id, rows]
    )
    _refresh_view(con, dataset)
    return rows


def remove(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    where: str,
    params: list | None = None,
    *,
    erase_as: str | None = None,
) -> int:
    """Remove the rows of `main."<ds>"` (alias `t`) matching `where`; how many.

    A dataset kept as parts records them in `removed`; a plain table deletes them.
    `erase_as`: a load id under which the parts that held those rows are rewritten at once
    without them (an excluded patient's rows leave the files, not only the view).
    """
    if not is_stored(con, dataset):
        if not has_table(con, "main", dataset):
            return 0
        deleted = con.execute(f'delete from main."{dataset}" as t where {where}', params or [])
        return int(deleted.fetchall()[0][0])
    found = con.execute(
        f'insert into removed."{dataset}" select t.{PART}, t.{ROW} '
        f"from ({_rows(con, dataset)}) as t where {where} returning {PART}, {ROW}",
        params or [],
    ).fetchall()
    if not found:
        return 0
    _count_removed(con, dataset, found)
    _refresh_view(con, dataset)
    if erase_as is not None:
        for part in sorted({r[0] for r in found}):
            _rewrite(con, dataset, [part], erase_as)
    return len(found)


def remove_all(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    """Empty the dataset (a full load's replacement): its parts leave the catalog."""
    if not is_stored(con, dataset):
        if has_table(con, "main", dataset):
            con.execute(f'delete from main."{dataset}"')
        return
    con.execute("delete from meta.parts where dataset = ?", [dataset])
    for table in _COUNTERS:
        con.execute(f"delete from {table} where dataset = ?", [dataset])
    con.execute(f'delete from removed."{dataset}"')
    _refresh_view(con, dataset)


def drop(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    """Forget the dataset altogether (a key rotation's clean slate)."""
    con.execute(f'drop view if exists main."{dataset}"')
    if is_stored(con, dataset):
        con.execute("delete from meta.parts where dataset = ?", [dataset])
        for table in (*_COUNTERS, "meta.count_exprs"):
            con.execute(f"delete from {table} where dataset = ?", [dataset])
        con.execute(f'drop table removed."{dataset}"')
        con.execute(f'drop table shape."{dataset}"')
    con.execute(f'drop table if exists main."{dataset}"')


def compact(con: duckdb.DuckDBPyConnection, dataset: str, *, load_id: str) -> int:
    """Rewrite the parts the policy names (see the module); how many parts were replaced."""
    if not is_stored(con, dataset):
        return 0
    parts = con.execute(
        "select p.part, p.rows, coalesce(r.n, 0) from meta.parts as p left join "
        f'(select {PART} as part, count(*) as n from removed."{dataset}" group by all) as r '
        "using (part) where p.dataset = ? order by p.part",
        [dataset],
    ).fetchall()
    small = [p for p, rows, gone in parts if rows - gone < SMALL_PART_ROWS]
    merged = small if len(small) >= MERGE_SMALL_PARTS else []
    worn = [
        [p]
        for p, rows, gone in parts
        if rows and gone / rows >= REWRITE_REMOVED_SHARE and p not in merged
    ]
    groups = worn + ([merged] if merged else [])
    for group in groups:
        _rewrite(con, dataset, group, load_id)
    return sum(len(g) for g in groups)


def count_rows(con: duckdb.DuckDBPyConnection, dataset: str, catalog: str | None = None) -> int:
    """The rows of `main."<ds>"` (of the attached `catalog`, or the connection's own).

    For a dataset kept as parts, from the catalog alone: each part's rows less its removals
    (a removal names a live row once), where counting the view reads every part's keys for its
    anti-join. A plain table is counted.
    """
    db = f'"{catalog}".' if catalog else ""
    stored = scalar(
        con,
        "select count(*) from duckdb_tables() where schema_name = 'shape' and table_name = ? "
        "and database_name = coalesce(?, current_database())",
        [dataset, catalog],
    )
    if not stored:
        return int(scalar(con, f'select count(*) from {db}main."{dataset}"'))
    return int(
        scalar(
            con,
            f"select (select coalesce(sum(rows), 0) from {db}meta.parts where dataset = ?) "
            f'- (select count(*) from {db}removed."{dataset}")',
            [dataset],
        )
    )


def live_counts(con: duckdb.DuckDBPyConnection, dataset: str, exprs: list[str]) -> list[int] | None:
    """The values of count expressions over the dataset's rows (alias `t`); None if not parts.

    Each expression must add up over disjoint rows (`count(*)`, `count_if(...)`). A part's
    value is read from `meta.part_counts`, or counted once over the part and kept there; the
    parts with removals then lose the value over their removed rows, which are read by position
    (only the row groups holding them). So a count reads the parts a load wrote and the rows it
    removed, not the dataset.
    """
    counted = _live(con, dataset, exprs, None)
    return None if counted is None else counted.get(None, [0] * len(exprs))


def live_counts_by(
    con: duckdb.DuckDBPyConnection, dataset: str, by: GroupBy, expr: str = "count(*)"
) -> dict[str, int] | None:
    """`expr` over the dataset's rows per group (`by`), as `live_counts` counts.

    None if the dataset is not kept as parts. The text of `by` is the key its counts are kept
    under: it must name everything a group depends on (a time zone, say).
    """
    counted = _live(con, dataset, [expr], by)
    return None if counted is None else {k: v[0] for k, v in counted.items() if k is not None}


@dataclass(frozen=True)
class GroupBy:
    """A grouping in two steps: rows by `row` (cheap, per row), then those groups by `key`.

    `key` is an expression of `k`, the value of `row`: a timestamp's day in a time zone is
    computed once per quarter of an hour (`row`: its epoch in 15-minute steps), not per row.
    """

    row: str
    key: str = "k"

    def __str__(self) -> str:
        return f"{self.row} then {self.key}"


_UNGROUPED = GroupBy("null", "null")
_QUARTER_US = 15 * 60 * 1_000_000  # every time zone's offset is a whole number of quarters


def event_days(
    con: duckdb.DuckDBPyConnection, dataset: str, column: str
) -> dict[dt.date, int] | None:
    """The dataset's rows per day of `column` in the connection's time zone, by its counters.

    None if the dataset is not kept as parts. The day of a TIMESTAMPTZ is cut in the time zone
    named in the counted expression, so a client whose time zone changes counts again.
    """
    types = column_types(con, "shape", dataset)
    if column not in types:
        return None
    by = GroupBy(f'cast(t."{column}" as date)')
    if types[column] == "TIMESTAMP WITH TIME ZONE":
        zone = sql_literal(scalar(con, "select current_setting('TimeZone')"))
        by = GroupBy(
            f'epoch_us(t."{column}") // {_QUARTER_US}',
            f"cast(timezone({zone}, make_timestamptz(k * {_QUARTER_US})) as date)",
        )
    counted = live_counts_by(con, dataset, by)
    if counted is None:
        return None
    return {dt.date.fromisoformat(k): n for k, n in counted.items() if n}


def _live(
    con: duckdb.DuckDBPyConnection, dataset: str, exprs: list[str], by: GroupBy | None
) -> dict[str | None, list[int]] | None:
    # Not before `ensure_parts` made the counters (a version-8 catalog a reader opens).
    if not is_stored(con, dataset) or not has_table(con, "meta", "part_counts"):
        return None
    group = by or _UNGROUPED
    listed = _listed(con, dataset)
    names = [_counted_as(e, by) for e in exprs]
    kept = _count_new_parts(con, dataset, exprs, by, [(p, f) for p, f, _ in listed])
    totals: dict[str | None, list[int]] = {}
    for key, name, value in con.execute(
        f"select key, expr, sum(value) from ({kept}) where dataset = ? "
        "and expr in (select unnest(?)) group by all",
        [dataset, names],
    ).fetchall():
        totals.setdefault(key, [0] * len(exprs))[names.index(name)] += int(value or 0)
    worn = [p for p, _, has in listed if has]
    if not worn:
        return totals
    covered = _covered(con, dataset, names)
    for key, name, value in (
        con.execute(
            "select key, expr, sum(value) from meta.removed_counts where dataset = ? "
            "and (part, expr) in " + _PAIRS + " "
            "group by all",
            [dataset, [{"part": p, "expr": n} for p, n in sorted(covered)]],
        ).fetchall()
        if covered
        else ()
    ):
        totals.setdefault(key, [0] * len(exprs))[names.index(name)] -= int(value or 0)
    uncovered = [p for p in worn if any((p, n) not in covered for n in names)]
    if uncovered:
        _recount_removed(con, dataset, exprs, group, names, uncovered, covered, totals)
    return totals


def _covered(
    con: duckdb.DuckDBPyConnection, dataset: str, names: list[str]
) -> set[tuple[int, str]]:
    """The (part, count) pairs whose kept removed counts cover every removed row of the part."""
    if not has_table(con, "meta", "removed_counted"):  # a catalog written before them
        return set()
    rows = con.execute(
        f"""select c.part, c.expr from (
            select part, expr, sum(rows) as rows from meta.removed_counted
            where dataset = ? and expr in (select unnest(?)) group by all) as c
        join (select {PART} as part, count(*) as n from removed."{dataset}" group by all) as r
            on r.part = c.part
        where c.rows = r.n""",
        [dataset, names],
    ).fetchall()
    return {(int(p), str(n)) for p, n in rows}


def _recount_removed(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    exprs: list[str],
    group: GroupBy,
    names: list[str],
    parts: list[int],
    covered: set[tuple[int, str]],
    totals: dict[str | None, list[int]],
) -> None:
    """Subtract `exprs` over the removed rows of `parts` where no kept count covers them.

    Every removed row of those parts is read by position; a writable catalog keeps the counts,
    which then cover those parts' removals.
    """
    removed = _at_positions(con, dataset, parts, f'removed."{dataset}"')
    found = con.execute(_grouped(exprs, group, removed, part=True)).fetchall()
    for part, key_value, *gone in found:
        counts = totals.setdefault(key_value, [0] * len(exprs))
        for i, g in enumerate(gone):
            if (part, names[i]) not in covered:
                counts[i] -= int(g or 0)
    if _read_only(con):
        return
    fresh = [(p, n) for p in parts for n in names if (p, n) not in covered]
    pairs = [{"part": p, "expr": n} for p, n in fresh]
    for table in ("meta.removed_counts", "meta.removed_counted"):
        con.execute(
            f"delete from {table} where dataset = ? and (part, expr) in " + _PAIRS,
            [dataset, pairs],
        )
    removed_rows = dict(
        con.execute(
            f'select {PART}, count(*) from removed."{dataset}" '
            f"where {PART} in (select unnest(?)) group by all",
            [parts],
        ).fetchall()
    )
    _keep_removed(con, dataset, found, names, removed_rows, set(fresh))


def _at_positions(con: duckdb.DuckDBPyConnection, dataset: str, parts: list[int], at: str) -> str:
    """The rows of `parts` at the positions `at` lists (a table of `_part`, `_row`), alias `t`.

    Read by position: only the row groups holding them.
    """
    files = [sql_literal(_root(con) / f) for _, f, _ in _listed(con, dataset, parts)]
    return (
        f"({_shaped(dataset, files)}) as t semi join {at} as r "
        f"on r.{PART} = t.{PART} and r.{ROW} = t.{ROW}"
    )


def _keep_removed(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    found: list[tuple],
    names: list[str],
    rows: dict[int, int],
    kept: set[tuple[int, str]],
) -> None:
    """Keep removed rows' counts and what they cover, for the (part, count) pairs `kept`.

    `found`: rows of (part, key, value per count of `names`); `rows`: how many removed rows of
    each part they were counted over.
    """
    insert_rows(
        con,
        "meta.removed_counts",
        [
            [dataset, part, names[i], key_value, int(g or 0)]
            for part, key_value, *gone in found
            for i, g in enumerate(gone)
            if (part, names[i]) in kept
        ],
    )
    insert_rows(
        con,
        "meta.removed_counted",
        [[dataset, p, n, int(rows.get(p, 0))] for p, n in sorted(kept)],
    )


def _count_removed(
    con: duckdb.DuckDBPyConnection, dataset: str, positions: list[tuple[int, int]]
) -> None:
    """Add the counts asked before (`meta.count_exprs`) over the rows just removed.

    The removed rows are read once, by position (the row groups holding them), into a
    temporary table; each grouping of the counts is then taken over it. A count covers a part's
    removals only while it was counted over each of them: one asked for the first time after
    some were removed is recounted whole when asked (`_recount_removed`).
    """
    if not has_table(con, "meta", "count_exprs"):
        return
    asked = con.execute(
        "select expr, sql, row_by, key_by from meta.count_exprs where dataset = ?",
        [dataset],
    ).fetchall()
    if not asked:
        return
    parts = sorted({p for p, _ in positions})
    new = pa.table(
        {
            PART: pa.array([p for p, _ in positions], pa.int32()),
            ROW: pa.array([r for _, r in positions], pa.int64()),
        }
    )
    con.register("_removed_now", new)
    try:
        con.execute(
            "create or replace temp table _removed_rows as select t.* from "
            + _at_positions(con, dataset, parts, "_removed_now")
        )
        per_part = dict(
            con.execute(f"select {PART}, count(*) from _removed_now group by all").fetchall()
        )
    finally:
        con.unregister("_removed_now")
    try:
        groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for name, sql, row_by, key_by in asked:
            groups.setdefault((row_by, key_by), []).append((name, sql))
        for (row_by, key_by), counted in groups.items():
            exprs = [sql for _, sql in counted]
            found = con.execute(
                _grouped(exprs, GroupBy(row_by, key_by), "temp.main._removed_rows as t", True)
            ).fetchall()
            names = [name for name, _ in counted]
            every = {(p, n) for p in per_part for n in names}
            _keep_removed(con, dataset, found, names, per_part, every)
    finally:
        con.execute("drop table temp.main._removed_rows")


def _grouped(exprs: list[str], by: GroupBy, rows: str, part: bool = False) -> str:
    """`exprs` summed per group of `rows` (a from clause, alias `t`).

    Each row of the result: the group's key as text, then the sums (the part first, with `part`).
    """
    lead = f"t.{PART} as part, " if part else ""
    values = ", ".join(f"{e} as v{i}" for i, e in enumerate(exprs))
    sums = ", ".join(f"sum(v{i}) as v{i}" for i in range(len(exprs)))
    inner = f"select {lead}{by.row} as k, {values} from {rows} group by all"
    return (
        f"select {'part, ' if part else ''}cast({by.key} as varchar) as key, {sums} "
        f"from ({inner}) group by all"
    )


def _counted_as(expr: str, by: GroupBy | None) -> str:
    return expr if by is None else f"{expr} by {by}"


def _count_new_parts(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    exprs: list[str],
    by: GroupBy | None,
    listed: list[tuple[int, str]],
) -> str:
    """Count each expression over every part that has no value for it yet; keep the values.

    A read-only connection (a reader's, the health score's) keeps them in a temporary table,
    for its own life. Returns the query of every kept value.
    """
    writable = not _read_only(con)
    if writable:
        _register(con, dataset, exprs, by)
    table = "meta.part_counts"
    if not writable:
        table = "temp.main._part_counts"
        con.execute("create temp table if not exists _part_counts as from meta.part_counts limit 0")
    kept = "select * from meta.part_counts" + (
        "" if writable else " union all select * from temp.main._part_counts"
    )
    have = set(
        con.execute(f"select part, expr from ({kept}) where dataset = ?", [dataset]).fetchall()
    )
    names = [_counted_as(e, by) for e in exprs]
    lacking = {p: [n for n in names if (p, n) not in have] for p, _ in listed}
    files = [sql_literal(_root(con) / f) for p, f in listed if lacking[p]]
    if not files:
        return kept
    # One scan of the parts that lack any of the counts; a part with rows gets a row even when
    # the group has no value in it (its key is null).
    scan = f"({_shaped(dataset, files)}) as t"
    con.execute(
        "create or replace temp table _new_counts as "
        + _grouped(exprs, by or _UNGROUPED, scan, part=True)
    )
    try:
        for i, name in enumerate(names):
            missing = [p for p, lack in lacking.items() if name in lack]
            if missing:
                con.execute(
                    f"insert into {table} select ?, part, ?, key, v{i} from temp.main._new_counts "
                    "where part in (select unnest(?))",
                    [dataset, name, missing],
                )
    finally:
        con.execute("drop table temp.main._new_counts")
    return kept


def _read_only(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        scalar(
            con, "select readonly from duckdb_databases() where database_name = current_database()"
        )
    )


def _register(
    con: duckdb.DuckDBPyConnection, dataset: str, exprs: list[str], by: GroupBy | None
) -> None:
    """Record the counts asked of the dataset, so its removals are counted for them too."""
    if not has_table(con, "meta", "count_exprs"):
        return
    group = by or _UNGROUPED
    con.execute(
        "insert into meta.count_exprs select ?, n.expr, n.sql, ?, ? "
        "from (select unnest(?) as expr, unnest(?) as sql) as n "
        "where n.expr not in (select expr from meta.count_exprs where dataset = ?)",
        [dataset, group.row, group.key, [_counted_as(e, by) for e in exprs], exprs, dataset],
    )


def _shaped(dataset: str, files: list[str]) -> str:
    """The rows of `files` (SQL literals) with every column of the dataset's shape."""
    return f"{_shape(dataset)} union all by name {_scan(files)}"


def _shape(dataset: str) -> str:
    return f'select *, 0::integer as {PART}, 0::bigint as {ROW} from shape."{dataset}"'


def _scan(files: list[str]) -> str:
    """The rows of `files` (SQL literals), each with its part and its position (`_row`)."""
    return (
        f"select f.* exclude (file_row_number), f.file_row_number as {ROW} "
        f"from read_parquet([{', '.join(files)}], union_by_name = true, "
        "file_row_number = true) as f"
    )


def part_files(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The files (relative to the hospital's folder) this catalog names."""
    if not has_table(con, "meta", "parts"):
        return set()
    return {r[0] for r in con.execute("select file from meta.parts").fetchall()}


def prune(root: Path, keep: set[str]) -> int:
    """Delete the part files under `root` not in `keep` (relative paths); how many."""
    folder = root / TABLES
    if not folder.exists():
        return 0
    gone = 0
    for path in folder.glob("*/*.parquet"):
        if path.relative_to(root).as_posix() not in keep:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def migrate_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Move every plain table of `main` into parts (a warehouse written before parts)."""
    for name in schema_tables(con, "main"):
        ensure_dataset(con, name, f'select * from main."{name}"')


def _table_to_part(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    con.execute(f'alter table main."{dataset}" rename to "{dataset}__table"')
    load = scalar(con, f'select max(_load_id) from main."{dataset}__table"') or "migrated"
    append(con, dataset, f'select * from main."{dataset}__table"', load_id=str(load))
    con.execute(f'drop table main."{dataset}__table"')


def _rewrite(con: duckdb.DuckDBPyConnection, dataset: str, group: list[int], load_id: str) -> None:
    listed = ", ".join(str(p) for p in group)
    query = f"select * from ({_rows(con, dataset, group)}) where {PART} in ({listed})"
    cols = ", ".join(f'"{c}"' for c in table_columns(con, "shape", dataset))
    append(con, dataset, f"select {cols} from ({query})", load_id=load_id)
    for table in ("meta.parts", *_COUNTERS):
        con.execute(f"delete from {table} where dataset = ? and part in ({listed})", [dataset])
    con.execute(f'delete from removed."{dataset}" where {PART} in ({listed})')
    _refresh_view(con, dataset)


def _next_part(con: duckdb.DuckDBPyConnection, dataset: str) -> int:
    # Numbers are never reused within a catalog's history: `removed` names parts by them.
    row = first_row(con, "select max(part) from meta.parts where dataset = ?", [dataset])
    last = row[0] if row and row[0] is not None else 0
    removed = scalar(con, f'select max({PART}) from removed."{dataset}"') or 0
    return max(int(last), int(removed)) + 1


def _root(con: duckdb.DuckDBPyConnection) -> Path:
    """The folder the parts are read under: the catalog's, or where `read_moved` found them."""
    root = scalar(
        con,
        f"select coalesce(getvariable('{_MOVED_ROOT}'), (select max(root) from meta.storage))",
    )
    if root is None:
        raise RuntimeError("the warehouse's parts folder is not set (ensure_parts)")
    return Path(root)


def _is_view(con: duckdb.DuckDBPyConnection, dataset: str) -> bool:
    return bool(
        scalar(
            con,
            "select count(*) from duckdb_views() where schema_name = 'main' and view_name = ? "
            "and database_name = current_database()",
            [dataset],
        )
    )


def _rows(con: duckdb.DuckDBPyConnection, dataset: str, only: list[int] | None = None) -> str:
    """The live rows of the dataset's parts (`only` these), with their `_part` and `_row`."""
    root = _root(con)
    parts = _listed(con, dataset, only)
    selects = [_shape(dataset)]
    for worn in (False, True):
        files = [sql_literal(root / file) for _, file, has in parts if has == worn]
        if not files:
            continue
        scan = _scan(files)
        if worn:  # an explicit anti join: see `warehouse/merged.py` on correlated forms
            scan += (
                f' anti join removed."{dataset}" as r '
                f"on r.{PART} = f.{PART} and r.{ROW} = f.file_row_number"
            )
        selects.append(scan)
    return " union all by name ".join(selects)


def _listed(
    con: duckdb.DuckDBPyConnection, dataset: str, only: list[int] | None = None
) -> list[tuple[int, str, bool]]:
    """The dataset's parts (`only` these): number, file, whether it has removed rows."""
    wanted = "" if only is None else f" and part in ({', '.join(str(p) for p in only)})"
    return con.execute(
        f'select part, file, part in (select {PART} from removed."{dataset}") from meta.parts '
        f"where dataset = ?{wanted} order by part",
        [dataset],
    ).fetchall()


def _refresh_view(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    con.execute(
        f'create or replace view main."{dataset}" as '
        f"select * exclude ({PART}, {ROW}) from ({_rows(con, dataset)})"
    )


def _removed_by_key(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The datasets whose removals are recorded by key (schema version 8), not by position."""
    return [t for t in schema_tables(con, "removed") if ROW not in table_columns(con, "removed", t)]


def _positions_from_keys(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    """Record a version-8 dataset's removals by position: each removed key found in its part."""
    keys = [c for c in table_columns(con, "removed", dataset) if c != PART]
    files = [
        sql_literal(_root(con) / r[0])
        for r in con.execute(
            f"select file from meta.parts where dataset = ? and part in (select {PART} from "
            f'removed."{dataset}") order by part',
            [dataset],
        ).fetchall()
    ]
    table = f'removed."{dataset}"'
    con.execute(f'create table removed."{dataset}__rows" ({PART} integer, {ROW} bigint)')
    if files:
        match = " and ".join([f"r.{PART} = f.{PART}"] + [f'r."{k}" = f."{k}"' for k in keys])
        con.execute(
            f'insert into removed."{dataset}__rows" select f.{PART}, f.{ROW} '
            f"from ({_scan(files)}) as f semi join {table} as r on {match}"
        )
    con.execute(f"drop table {table}")
    con.execute(f'alter table removed."{dataset}__rows" rename to "{dataset}"')
