"""What is open in the quarantine now, read from a warehouse (published or a build).

`quarantine.<dataset>` is the one truth of what is open, whatever load put it there; the
report, `upflux status`, `upflux quarantine`, the CSV for hospital IT and the Dagster asset
checks all read it here. Records are named by their ERP ids (the dataset's key without
pseudonymised columns), never by a personal value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from upflux_etl.catalog.models import CanonicalModel
from upflux_etl.warehouse.files import schema_tables, table_columns

# Never listed, whatever a table holds: pseudonyms and document hashes identify a person.
NEVER_SHOWN = frozenset({"patient_key", "cpf", "cns", "user_key"})


@dataclass(frozen=True)
class OpenRecord:
    """One quarantined record.

    Attributes:
        record_id: its ERP id columns and values, in key order.
        reasons: the checks it fails.
        first_seen_at: when it was first quarantined (None in a warehouse older than that).
        first_seen_load: the load that first quarantined it.
        last_seen_load: the last load that checked it and found it failing.
    """

    dataset: str
    record_id: tuple[tuple[str, str], ...]
    reasons: tuple[str, ...]
    first_seen_at: dt.datetime | None
    first_seen_load: str | None
    last_seen_load: str | None

    def is_new(self, load_id: str) -> bool:
        """First quarantined by `load_id`."""
        return self.first_seen_load == load_id


def quarantine_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The datasets that have a quarantine table."""
    return schema_tables(con, "quarantine")


def open_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Dataset -> rows in quarantine now."""
    return {
        ds: int(con.execute(f'select count(*) from quarantine."{ds}"').fetchall()[0][0])
        for ds in quarantine_tables(con)
    }


def open_by_check(con: duckdb.DuckDBPyConnection, dataset: str) -> dict[str, tuple[int, str]]:
    """Check name -> (open rows failing it, the earliest first-seen date, ISO) of a dataset."""
    if dataset not in quarantine_tables(con):
        return {}
    first = _first_seen(con, dataset)
    rows = con.execute(
        f"select reason, count(*), cast(min({first}) as varchar) from "
        f'(select unnest(_reasons) as reason, * from quarantine."{dataset}") group by reason'
    ).fetchall()
    return {r: (int(n), at or "") for r, n, at in rows}


def open_records(
    con: duckdb.DuckDBPyConnection, canonical: CanonicalModel | None, dataset: str | None = None
) -> list[OpenRecord]:
    """Every open record (of one dataset, or all), oldest first within a dataset."""
    out: list[OpenRecord] = []
    for ds in quarantine_tables(con):
        if dataset is not None and ds != dataset:
            continue
        out += _records(con, ds, canonical)
    return out


def id_columns(dataset: str, present: list[str], canonical: CanonicalModel | None) -> list[str]:
    """The ERP's own record ids: the primary key without pseudonymised columns.

    Without the canonical model, the `*_id` columns (the canonical naming of ERP ids).
    """
    spec = canonical.datasets.get(dataset) if canonical else None
    if spec is not None:
        wanted = [c for c in spec.primary_key if spec.columns[c].pii is None]
    else:
        wanted = [c for c in present if c.endswith("_id") and not c.startswith("_")]
    return [c for c in wanted if c in present and c not in NEVER_SHOWN]


def _records(
    con: duckdb.DuckDBPyConnection, ds: str, canonical: CanonicalModel | None
) -> list[OpenRecord]:
    present = table_columns(con, "quarantine", ds)
    ids = id_columns(ds, present, canonical)
    selected = ", ".join(f'cast("{c}" as varchar)' for c in ids) or "null"
    first = _first_seen(con, ds)
    first_load = "_first_seen_load" if "_first_seen_load" in present else "_load_id"
    last_load = "_last_seen_load" if "_last_seen_load" in present else "_load_id"
    order = ", ".join(f'"{c}"' for c in ids) or "1"
    rows = con.execute(
        f"select _reasons, {first}, {first_load}, {last_load}, {selected} "
        f'from quarantine."{ds}" order by {first} nulls first, {order}'
    ).fetchall()
    return [
        OpenRecord(
            dataset=ds,
            record_id=tuple(zip(ids, ("" if v is None else str(v) for v in r[4:]), strict=False)),
            reasons=tuple(r[0] or ()),
            first_seen_at=r[1],
            first_seen_load=r[2],
            last_seen_load=r[3],
        )
        for r in rows
    ]


def _first_seen(con: duckdb.DuckDBPyConnection, ds: str) -> str:
    present = table_columns(con, "quarantine", ds)
    for column in ("_first_seen_at", "_quarantined_at"):
        if column in present:
            return column
    return "cast(null as timestamptz)"
