"""The months of an indicator a load touched: what an incremental load recomputes.

A load's changed rows are the difference between the dataset as published (the warehouse the
run's build was copied from, attached read-only) and the dataset in the build after the load:
rows merged, released from quarantine, tombstoned or excluded alike, each seen before and after
its change; rows extracted again unchanged are no change (`changed_rows`). The difference is kept once per run
and dataset in the build (`staging._changed_<dataset>`, dropped at publication). Each indicator's
`periods` (catalog/models.py `PeriodsSpec`) turns those rows into months; a changed bound (the
census's first or last day) adds the months between its old and new place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from upflux_etl.catalog.models import (
    IndicatorSpec,
    PeriodBoundSpec,
    PeriodRowsSpec,
    TriageSpec,
)
from upflux_etl.warehouse import parts
from upflux_etl.warehouse.files import column_types, has_table, scalar, sql_literal

PUBLISHED = "_published"  # the published warehouse, attached read-only while months are found


@dataclass(frozen=True)
class Touched:
    """The months to recompute: `months`, and every month from `open_from` on (if set)."""

    months: frozenset[dt.date]
    open_from: dt.date | None = None

    def covers(self, period: dt.date) -> bool:
        """Whether `period` (a month's first day) is recomputed."""
        return period in self.months or (self.open_from is not None and period >= self.open_from)

    @property
    def empty(self) -> bool:
        """Nothing to recompute."""
        return not self.months and self.open_from is None

    def bounds(self) -> tuple[dt.date, dt.date | None]:
        """The first day of the first month and the first day after the last (None: no end)."""
        starts = [*self.months, *([self.open_from] if self.open_from else [])]
        end = None if self.open_from else next_month(max(self.months))
        return min(starts), end


def month_of(day: dt.date) -> dt.date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after `month`."""
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(a: dt.date, b: dt.date) -> set[dt.date]:
    """Every month from `a`'s to `b`'s, either order, both included."""
    first, last = month_of(min(a, b)), month_of(max(a, b))
    months = set()
    while first <= last:
        months.add(first)
        first = next_month(first)
    return months


def definition_hash(
    spec: IndicatorSpec, macros: Iterable[str], timezone: str, triage: TriageSpec
) -> str:
    """A digest of what an indicator's values depend on besides the rows.

    Its yaml (parsed), its SQL, the shared macros, the hospital's zone (months are cut there)
    and triage targets: a change of any recomputes every month.
    """
    digest = hashlib.sha256()
    for part in (
        spec.model_dump_json(),
        spec.sql,
        *macros,
        timezone,
        json.dumps(triage.targets_minutes, sort_keys=True),
    ):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


# A bound's extent (first and last day) by the query that read it: see `touched_months`.
Extents = dict[str, tuple[dt.date | None, dt.date | None]]


def attach_published(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """Attach the published warehouse to the build's connection, read-only, as `PUBLISHED`."""
    con.execute(f"attach {sql_literal(path)} as {PUBLISHED} (read_only)")


def detach_published(con: duckdb.DuckDBPyConnection) -> None:
    """Detach what `attach_published` attached."""
    con.execute(f"detach {PUBLISHED}")


def changed_rows(
    con: duckdb.DuckDBPyConnection, dataset: str, keys: list[str], load_id: str
) -> str | None:
    """A build table of `dataset`'s changed rows (before and after images), made once per run.

    Every row this load wrote carries its load id (`_load_id`: merged or released from the
    quarantine); every other row the build lacks was removed (tombstoned, excluded, or replaced
    by a quarantined version). So the difference reads the load's own rows and the published
    rows of the keys it staged or wrote (`_before_images`), not both whole tables, unless a
    count shows some other published row removed. A row extracted again unchanged is no
    change. None when the change cannot be told row by row: the dataset
    is new to the warehouse, or its columns changed (every month is then touched).
    """
    table = f'staging."_changed_{dataset}"'
    if has_table(con, "staging", f"_changed_{dataset}"):
        return table
    old = _columns(con, PUBLISHED, dataset)
    new = _columns(con, None, dataset)
    if not old or old != new:
        return None
    cols = ", ".join(f'"{c}"' for c, _ in new)
    key_cols = ", ".join(f'"{k}"' for k in keys)
    published = f'{PUBLISHED}.main."{dataset}"'
    con.execute(
        f'create temp table _written as select {cols} from main."{dataset}" where _load_id = ?',
        [load_id],
    )
    staged = f' union select {key_cols} from staging."{dataset}"'
    con.execute(
        f"create temp table _touched as select {key_cols} from _written"
        + (staged if has_table(con, "staging", dataset) else "")
    )
    try:
        before = _before_images(con, published, dataset, cols, keys)
        con.execute(
            f"create table {table} as with before as ({before}) "
            "select * from (select * from before except all select * from _written) "
            "union all select * from (select * from _written except all select * from before)"
        )
    finally:
        con.execute("drop table _written")
        con.execute("drop table _touched")
    return table


def _before_images(
    con: duckdb.DuckDBPyConnection,
    published: str,
    dataset: str,
    cols: str,
    keys: list[str],
) -> str:
    """The published rows this load replaced or removed, as a query (`_touched`: its keys).

    A load replaces the published rows of the keys it staged or wrote; it removes others only
    by tombstones or a patient exclusion. When every published row outside those keys is still
    in the build (counted: the build's rows of other loads outside them are copies of published
    ones), the before images are the published rows of those keys: read by key, not by
    comparing both whole tables; otherwise (something else was removed) the whole comparison.
    """
    using = ", ".join(f'"{k}"' for k in keys)
    published_rest = _rows_outside(con, published, using, (dataset, PUBLISHED))
    # the load's own rows are inside
    kept_rest = _rows_outside(con, f'main."{dataset}"', using, (dataset, None))
    if published_rest == kept_rest:
        return f"select {cols} from {published} semi join _touched using ({using})"
    match = " and ".join(f'p."{k}" = b."{k}"' for k in keys)
    return (
        f"select {cols} from {published} semi join _written using ({using}) "
        f"union all select {cols} from {published} as p "
        f'anti join main."{dataset}" as b on {match}'
    )


def _rows_outside(
    con: duckdb.DuckDBPyConnection, table: str, using: str, dataset: tuple[str, str | None]
) -> int:
    """How many rows of `table` have a key outside `_touched` (a key is unique in the table).

    Its whole count, from the catalog (`parts.count_rows` of `dataset`: its name and catalog),
    less the rows of the touched keys found by a join the touched keys drive: not an anti-join
    that reads every row's key against them.
    """
    rows = parts.count_rows(con, *dataset)
    return rows - scalar(con, f"select count(*) from {table} join _touched using ({using})")


def coverage_months(
    con: duckdb.DuckDBPyConnection, spec: IndicatorSpec, changes: str
) -> frozenset[dt.date]:
    """The months of the coverage's period column that the changed rows (`changes`) reach.

    The coverage counts one dataset's rows by that column's month: a count changes only in the
    month of a changed row's before or after image.
    """
    column = spec.coverage.period_column
    return frozenset(
        r[0]
        for r in con.execute(
            f"select distinct cast(date_trunc('month', \"{column}\") as date) from {changes} "
            f'where "{column}" is not null'
        ).fetchall()
    )


def touched_months(
    con: duckdb.DuckDBPyConnection,
    spec: IndicatorSpec,
    changes: dict[str, str],
    extents: Extents | None = None,
) -> Touched:
    """The months of `spec` that the changed rows (`changes`: dataset -> table) reach.

    Needs the published warehouse attached (`attach_published`) for the bounds. `extents`:
    the bounds' extents read before on the same build and published warehouse (indicators
    share bounds, and each extent reads its whole dataset); filled with those read now.
    """
    assert spec.periods is not None
    months: set[dt.date] = set()
    open_from: list[dt.date] = []
    for rows in spec.periods.rows:
        found, opened = _rows_months(con, rows, changes[rows.dataset])
        months |= found
        if opened is not None:
            open_from.append(opened)
    for bound in spec.periods.bounds:
        months |= _bound_months(con, bound, {} if extents is None else extents)
    start = min(open_from) if open_from else None
    if start is not None:
        months = {m for m in months if m < start}
    return Touched(frozenset(months), start)


def _rows_months(
    con: duckdb.DuckDBPyConnection, rows: PeriodRowsSpec, changes: str
) -> tuple[set[dt.date], dt.date | None]:
    source = changes
    if rows.through is not None:
        source = (
            f'(select * from main."{rows.through}" where "{rows.key}" in '
            f'(select "{rows.key}" from {changes}))'
        )
    first = f'cast(r."{rows.columns[0]}" as timestamptz)'
    if rows.look_back_days:
        # a day more than declared: a day of 23 or 25 hours cannot move the window's month
        first = f"({first} - to_days({rows.look_back_days + 1}))"
    last = f'cast(r."{rows.columns[-1]}" as timestamptz)'
    span = len(rows.columns) == 2
    closed = f"{first} is not null" + (f" and {last} is not null" if span else "")
    found = con.execute(
        "select distinct cast(m.m as date) from "
        f"(select least({first}, {last}) as a, greatest({first}, {last}) as b "
        f"from {source} as r where {closed}) as s, "
        "generate_series(date_trunc('month', s.a), date_trunc('month', s.b), interval 1 month) "
        "as m (m)"
    ).fetchall()
    opened = None
    if span:
        opened = scalar(
            con,
            f"select cast(date_trunc('month', min({first})) as date) from {source} as r "
            f"where {first} is not null and {last} is null",
        )
    return {r[0] for r in found}, opened


def _bound_months(
    con: duckdb.DuckDBPyConnection, bound: PeriodBoundSpec, extents: Extents
) -> set[dt.date]:
    def extent(catalog: str) -> tuple[dt.date | None, dt.date | None]:
        sql = (
            f'select cast(min(cast("{bound.column}" as timestamptz)) as date), '
            f'cast(max(cast("{bound.column}" as timestamptz)) as date) '
            f'from {catalog}."{bound.dataset}" where ({bound.where})'
        )
        if sql not in extents:
            row = con.execute(sql).fetchall()[0]
            extents[sql] = (row[0], row[1])
        return extents[sql]

    old, new = extent(f"{PUBLISHED}.main"), extent("main")
    if old == new:
        return set()
    if None in old or None in new:  # no row before, or none after: all of the other's months
        a, b = old if None in new else new
        return months_between(a, b) if a and b else set()
    months: set[dt.date] = set()
    for was, now in zip(old, new, strict=True):
        if was is not None and now is not None and was != now:
            # the days between the old and new place came or went
            months |= months_between(was, now)
    return months


def _columns(
    con: duckdb.DuckDBPyConnection, catalog: str | None, dataset: str
) -> list[tuple[str, str]]:
    """(name, type) of the published columns of `main.<dataset>` (the load id left out)."""
    types = column_types(con, "main", dataset, catalog)
    return sorted((n, t) for n, t in types.items() if not n.startswith("_"))
