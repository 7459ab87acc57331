"""The quarantine's lifecycle during a load: a quarantined record stays open until it is clean.

`quarantine.<dataset>` is the one truth of what is open now, whatever load put it there.
A record leaves it only when a load brings its key clean: re-extracted from the source
(fixed at the source), or re-checked from its stored source row (released: a late parent
record arrived, a mapping was added, a declared correction applies). Every incremental load
re-lands the open records it did not extract, from `_source` (the row as it was landed:
source codes and raw values, already pseudonymised), so they go through the same mapping,
corrections and checks as the batch. See docs/CONTRACTS.md, "The quarantine".
"""

from __future__ import annotations

import datetime as dt

import duckdb

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.warehouse.files import has_table, scalar, table_columns
from upflux_etl.warehouse.meta.quarantine import record_resolved

# The lifecycle columns after a dataset's published columns, in this order.
LIFECYCLE_COLUMNS = {
    "_load_id": "varchar",  # the load that extracted this version of the row
    "_reasons": "varchar[]",  # the checks it fails (names), as of its last check
    "_quarantined_at": "timestamptz",  # when this version was quarantined
    "_first_seen_load": "varchar",  # the load that first quarantined the key
    "_first_seen_at": "timestamptz",
    "_last_seen_load": "varchar",  # the last load that checked it and found it failing
    "_last_seen_at": "timestamptz",
    "_source": "varchar",  # JSON of the landed row; null: cannot be re-checked
}
RECHECK = "_recheck"  # staging flag: the row was re-landed from the quarantine


def ensure_quarantine(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, columns: list[str], timezone: str
) -> None:
    """Create `quarantine.<dataset>` (like the staged `columns`) or bring it forward."""
    ds = spec.name
    if has_table(con, "quarantine", ds):
        ensure_quarantine_shape(con, spec, timezone)
        return
    cols = ", ".join(f's."{c}"' for c in columns)
    extra = ", ".join(f"cast(null as {t}) as {c}" for c, t in LIFECYCLE_COLUMNS.items())
    con.execute(
        f'create table quarantine."{ds}" as select {cols}, {extra} from staging."{ds}" as s where false'
    )


def ensure_quarantine_shape(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, timezone: str
) -> None:
    """Bring a `quarantine.<dataset>` written before the lifecycle forward (no-op otherwise).

    Older tables gain its columns: first and last seen from the load that quarantined the
    row, and `_source` rebuilt from the stored codes and values (null, so never re-checked,
    for rows whose raw value was lost: an unparseable one).
    """
    ds = spec.name
    if not has_table(con, "quarantine", ds):
        return
    present = set(table_columns(con, "quarantine", ds))
    missing = [c for c in LIFECYCLE_COLUMNS if c not in present]
    for column in missing:
        con.execute(
            f'alter table quarantine."{ds}" add column "{column}" {LIFECYCLE_COLUMNS[column]}'
        )
    if "_first_seen_load" in missing:
        con.execute(
            f'update quarantine."{ds}" set _first_seen_load = _load_id, '
            "_first_seen_at = _quarantined_at, _last_seen_load = _load_id, "
            "_last_seen_at = _quarantined_at"
        )
    if "_source" in missing:
        con.execute(
            f'update quarantine."{ds}" set _source = {_rebuilt_source(spec, present, timezone)} '
            "where not list_has_any(_reasons, ?)",
            [[f"{c}_parseable" for c in spec.columns]],
        )


def reland_open(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, landed: dict[str, str], *, full: bool
) -> int:
    """Append the open records to `landing.<dataset>`, to be checked again; returns how many.

    Read the landing's columns again afterwards: after an empty batch they are text.

    Not on a full load (the source gives every row again), nor records without a stored
    source row or with a null key (they cannot be told apart from the batch's rows).
    """
    ds = spec.name
    if full or not has_table(con, "quarantine", ds):
        return 0
    if "_source" not in table_columns(con, "quarantine", ds):
        return 0
    before = int(scalar(con, f'select count(*) from landing."{ds}"'))
    if before == 0:
        landed = _untyped_landing(con, ds, landed)
    keyed = " and ".join(f'q."{k}" is not null' for k in spec.primary_key)
    chosen = f"q._source is not null and {keyed}"
    landed = _widened(con, ds, landed, chosen)
    values = ", ".join(
        f'try_cast(json_extract_string(q._source, \'$."{c}"\') as {t}) as "{c}"'
        for c, t in landed.items()
    )
    con.execute(
        f'insert into landing."{ds}" select {values} from quarantine."{ds}" as q where {chosen}'
    )
    return int(scalar(con, f'select count(*) from landing."{ds}"')) - before


def _widened(
    con: duckdb.DuckDBPyConnection, ds: str, landed: dict[str, str], chosen: str
) -> dict[str, str]:
    # A batch's column types can be guesses (SQLite types a column from its first values):
    # a column that cannot hold a stored value becomes text, which staging types as usual.
    out = dict(landed)
    for column, kind in landed.items():
        if kind in ("VARCHAR", "BOOLEAN"):
            continue
        value = f"json_extract_string(q._source, '$.\"{column}\"')"
        lost = scalar(
            con,
            f'select count(*) from quarantine."{ds}" as q where {chosen} '
            f"and {value} is not null and try_cast({value} as {kind}) is null",
        )
        if lost:
            con.execute(f'alter table landing."{ds}" alter column "{column}" type varchar')
            out[column] = "VARCHAR"
    return out


def _untyped_landing(
    con: duckdb.DuckDBPyConnection, ds: str, landed: dict[str, str]
) -> dict[str, str]:
    # An empty batch's column types are guesses (SQLite has no result types without rows):
    # land the stored rows as text, which staging types like any text source.
    types = {c: "BOOLEAN" if c.endswith("_valid") else "VARCHAR" for c in landed}
    cols = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in types.items())
    con.execute(f'create or replace table landing."{ds}" as select {cols} from landing."{ds}"')
    return types


def staging_select(staged: str, batch_rows: int) -> str:
    """The staged select with the `_recheck` flag (landing rows after the batch's)."""
    return f"select *, _row_id > {int(batch_rows)} as {RECHECK} from (\n{staged}\n)"


def drop_superseded(con: duckdb.DuckDBPyConnection, spec: DatasetSpec) -> None:
    """Re-checked rows whose key the batch brings again: the batch's version replaces them."""
    ds = spec.name
    con.execute(
        f'delete from staging."{ds}" as r where r.{RECHECK} and exists ('
        f'select 1 from staging."{ds}" as s where not s.{RECHECK} and {key_match(spec, "r")})'
    )


def update_quarantine(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    columns: str,
    *,
    load_id: str,
    full: bool,
    hold: bool,
    now: dt.datetime,
) -> None:
    """Replace the open records this load checked by what still fails, and log what left.

    Expects `_q(_row_id, reasons)` registered and `staging.<dataset>` with `_recheck`.
    A held load only replaces the keys it quarantines again: nothing leaves the quarantine.
    """
    ds = spec.name
    failing = f'(select s.* from staging."{ds}" as s join _q using (_row_id))'
    if hold:
        scope = f"exists (select 1 from {failing} as s where not s.{RECHECK} and {key_match(spec, 't')})"
    elif full:
        scope = "true"
    else:
        scope = f'exists (select 1 from staging."{ds}" as s where {key_match(spec, "t")})'
    if hold:  # re-checked rows stay as they were
        con.execute(f'delete from staging."{ds}" where {RECHECK}')
    keys = ", ".join(f't."{k}"' for k in spec.primary_key)
    con.execute(
        "create or replace temp table _prev as select "
        f"{keys}, min(_first_seen_at) as first_seen_at, "
        "arg_min(_first_seen_load, _first_seen_at) as first_seen_load, "
        "arg_max(_load_id, _quarantined_at) as load_id, "
        "arg_max(_quarantined_at, _quarantined_at) as quarantined_at, "
        "arg_max(_reasons, _quarantined_at) as reasons, "
        f'arg_max(_source, _quarantined_at) as source from quarantine."{ds}" as t where {scope} '
        f"group by {keys}"
    )
    con.execute(f'delete from quarantine."{ds}" as t where {scope}')
    con.execute(
        f'insert into quarantine."{ds}" by name select {columns}, '
        "case when s._recheck then coalesce(p.load_id, ?) else ? end as _load_id, "
        "q.reasons as _reasons, "
        "case when s._recheck then coalesce(p.quarantined_at, ?) else ? end as _quarantined_at, "
        "coalesce(p.first_seen_load, ?) as _first_seen_load, "
        "coalesce(p.first_seen_at, ?) as _first_seen_at, "
        "? as _last_seen_load, ? as _last_seen_at, "
        "case when s._recheck then p.source else to_json(l) end as _source "
        f'from staging."{ds}" as s join _q as q using (_row_id) '
        f'join landing."{ds}" as l on l.rowid + 1 = s._row_id '
        f"left join _prev as p on {key_match(spec, 'p')}",
        [load_id, load_id, now, now, load_id, now, load_id, now],
    )
    if not hold:
        record_resolved(con, spec, load_id=load_id, now=now)
    con.execute("drop table _prev")


def key_match(spec: DatasetSpec, target: str, source: str = "s") -> str:
    """`source` and `target` rows share the dataset's key (null keys match nothing)."""
    return " and ".join(f'{source}."{k}" = {target}."{k}"' for k in spec.primary_key)


def _rebuilt_source(spec: DatasetSpec, present: set[str], timezone: str) -> str:
    """A JSON landed row from the stored columns: source codes, wall-time timestamps."""
    tz = timezone.replace("'", "")
    parts = []
    for name, col in spec.columns.items():
        if col.map and f"{name}_code" in present:
            value = f'"{name}_code"'
        elif col.type == "timestamp":
            value = f"strftime(timezone('{tz}', \"{name}\"), '%Y-%m-%d %H:%M:%S')"
        else:
            value = f'cast("{name}" as varchar)'
        parts += [f"'{name}'", value]
        if col.validate_ and f"{name}_valid" in present:
            parts += [f"'{name}_valid'", f'"{name}_valid"']
    return f"json_object({', '.join(parts)})"
