"""`upflux connect-test`: every source reached, proven read-only, its queries checked.

Each source reached within its connect timeout, proven read-only without writing, each dataset's query run with no row fetched and its columns compared with
the canonical dataset, its rows counted, its incremental column's index looked up.

The result is Round 1 "integration alignment" evidence (`onboarding/records.py`).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field

from upflux_etl.catalog.clients import client_datasets, dataset_source
from upflux_etl.catalog.models import ClientSpec, DatasetSpec
from upflux_etl.catalog.reader import Catalog
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.probe import Probe, open_probe, wrapped
from upflux_etl.extract.session_options import session_options
from upflux_etl.extract.source_catalog import CATALOG_DIALECTS, column_sources, indexed_columns
from upflux_etl.extract.sql import QueryError
from upflux_etl.extract.urls import resolve_url, safe_url
from upflux_etl.onboarding.column_types import fit
from upflux_etl.onboarding.read_only import ReadOnlyProof, prove_read_only
from upflux_etl.pipeline.context import LoadContext
from upflux_etl.pipeline.datasets import source_query
from upflux_etl.quality.source_index import catalog_unread_note, unindexed_warning
from upflux_etl.settings import Settings


@dataclass
class DatasetCheck:
    """One dataset's query as the source answers it."""

    dataset: str
    query: str
    columns_ok: bool = False
    rows: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class SourceCheck:
    """One source: reached or not, read-only or not, its datasets, what its DBA saw."""

    source: str
    url: str
    connected: bool = False
    error: str | None = None
    read_only: ReadOnlyProof | None = None
    encoding: str = "UTF8"
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    datasets: list[DatasetCheck] = field(default_factory=list)
    dba: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Reached, proven read-only, no problem in any dataset."""
        return (
            self.connected
            and bool(self.read_only and self.read_only.value)
            and not self.problems
            and all(d.columns_ok for d in self.datasets)
        )


@dataclass
class ConnectTest:
    """The whole connect test of one client."""

    client: str
    at: dt.datetime
    seconds: float
    sources: list[SourceCheck]

    @property
    def ok(self) -> bool:
        """Every source passed."""
        return bool(self.sources) and all(s.ok for s in self.sources)

    def as_dict(self) -> dict:
        """JSON-ready: per source `read_only` {value, how}; per dataset `columns_ok`, `rows`.

        And per dataset its `problems`, notes and warnings; per source what its DBA saw.
        """
        return {
            "client": self.client,
            "at": self.at.isoformat(),
            "ok": self.ok,
            "seconds": round(self.seconds, 2),
            "sources": {
                s.source: {
                    "url": s.url,
                    "ok": s.ok,
                    "connected": s.connected,
                    "error": s.error,
                    "read_only": s.read_only.as_dict() if s.read_only else None,
                    "encoding": s.encoding,
                    "problems": s.problems,
                    "notes": s.notes,
                    "dba": s.dba,
                    "datasets": {d.dataset: _dataset_dict(d) for d in s.datasets},
                }
                for s in self.sources
            },
        }


def _dataset_dict(check: DatasetCheck) -> dict:
    found = asdict(check)
    found.pop("dataset")
    return found


def connect_test(settings: Settings, catalog: Catalog, client: ClientSpec) -> ConnectTest:
    """Test every source of `client` and every dataset it loads."""
    started, at = time.monotonic(), dt.datetime.now(dt.UTC)
    ctx = LoadContext(settings, catalog, client, run_id="connect-test", full=True, now=at)
    wanted = client_datasets(client, catalog)
    checks = []
    for name in client.sources:
        specs = [
            catalog.canonical.datasets[d]
            for d in wanted
            if dataset_source(client, catalog.canonical.datasets[d]) == name
        ]
        checks.append(_source(ctx, name, specs))
    return ConnectTest(client.slug, at, time.monotonic() - started, checks)


def _source(ctx: LoadContext, name: str, specs: list[DatasetSpec]) -> SourceCheck:
    source = ctx.client.sources[name]
    check = SourceCheck(name, "", encoding=source.encoding.upper())
    try:
        url = resolve_url(source, ctx.settings.data_dir, ctx.client.file)
    except SourceError as exc:
        check.error = str(exc)
        return check
    check.url = safe_url(url)
    session = session_options(source, ctx.client.slug, "connect-test")
    opened = time.monotonic()
    try:
        with open_probe(url, source.schema_, session) as probe:
            check.connected = True
            check.read_only = prove_read_only(probe)
            check.problems += _encoding_problems(probe, check.encoding)
            if probe.dialect == "sqlite":
                check.notes.append(
                    "column types not compared: SQLite gives no types for a query's columns "
                    "(names are; values are converted and checked at the load)"
                )
            indexed = _indexes(probe, source.schema_, check)
            check.datasets = [
                _dataset(ctx, probe, spec, indexed, name, source.schema_) for spec in specs
            ]
            check.dba = {
                "sessions": 1,
                "statements": probe.statements,
                "longest_query_s": round(probe.longest_s, 3),
                "longest_transaction_s": round(time.monotonic() - opened, 3),
                "rows_read": 0,
                "application_name": session.application_name,
            }
    except SourceError as exc:
        check.error = str(exc)
    return check


def _indexes(probe: Probe, schema: str | None, check: SourceCheck) -> set[tuple[str, str]] | None:
    """The (table, column) pairs leading an index; None (said once, in a note) when unknown."""
    if probe.dialect not in CATALOG_DIALECTS:
        check.notes.append(
            catalog_unread_note(
                check.source, f"the catalog of a {probe.dialect} database is not read"
            )
        )
        return None
    return indexed_columns(probe, schema)


def _dataset(
    ctx: LoadContext,
    probe: Probe,
    spec: DatasetSpec,
    indexed: set[tuple[str, str]] | None,
    source: str,
    schema: str | None,
) -> DatasetCheck:
    try:
        query = source_query(ctx, spec, None)
    except (QueryError, SourceError) as exc:
        return DatasetCheck(spec.name, "", problems=[str(exc)])
    check = DatasetCheck(spec.name, query.name)
    try:
        described = probe.describe(query.sql)
        check.rows = int(probe.rows(wrapped(query.sql, probe.dialect, "count(*)"))[0][0])
    except SourceError as exc:
        check.problems.append(f"{query.name}: the source refused the query: {exc}")
        return check
    _compare(check, spec, described)
    if indexed is not None:
        behind = sorted(column_sources(query.sql, probe.dialect, spec.incremental_column))
        if not behind:
            check.notes.append(
                f"{query.name}: incremental column {spec.incremental_column} not traced to an "
                "ERP column: its index was not checked"
            )
        for table, column in behind:
            if (table, column) not in indexed:
                check.warnings.append(
                    f"{query.name}: "
                    + unindexed_warning(
                        source, spec.name, spec.incremental_column, f"{table}.{column}", schema
                    )
                )
    check.columns_ok = not check.problems
    return check


def _compare(
    check: DatasetCheck, spec: DatasetSpec, described: list[tuple[str, str | None]]
) -> None:
    returned = dict(described)
    by_lower = {n.lower(): n for n in returned}
    for column, col_spec in spec.columns.items():
        if column not in returned:
            near = by_lower.get(column.lower())
            hint = f" (it returns {near!r}: names are compared exactly)" if near else ""
            check.problems.append(f"{check.query}: column {column} missing{hint}")
            continue
        fits, note = fit(col_spec.type, returned[column])
        if not fits:
            check.problems.append(
                f"{check.query}: column {column}: {note} (canonical type {col_spec.type})"
            )
        elif note:
            check.notes.append(f"{check.query}: column {column}: {note}")
    for extra in [c for c in returned if c not in spec.columns]:
        check.problems.append(
            f"{check.query}: column {extra} is not in the canonical dataset {spec.name}"
        )


_ENCODING_SQL = {
    "postgres": "select pg_encoding_to_char(encoding) from pg_database "
    "where datname = current_database()",
    "mysql": "select @@character_set_database",
}
_SAME = {
    "UTF8": {"UTF8", "UTF8MB4", "UTF8MB3"},
    "LATIN1": {"LATIN1"},
    "WIN1252": {"WIN1252", "LATIN1"},
}


def _encoding_problems(probe: Probe, declared: str) -> list[str]:
    sql = _ENCODING_SQL.get(probe.dialect)
    if sql is None:
        return []
    server = str(probe.rows(sql)[0][0]).upper()
    if server == "SQL_ASCII" or server in _SAME.get(declared, {declared}):
        return []
    return [
        f"encoding: the client file declares {declared}, the database says {server} "
        "(sources.<name>.encoding)"
    ]
