"""Problems of a client file's own queries and options, each with its field and line.

Profile-free sources, the establishment filter, text-column formats and per-client check
settings (see `catalog.client_options`); `catalog.validation.client_problems` adds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlglot.dialects.dialect import Dialect

from upflux_etl.catalog.client_options import NUMBER_FORMATS, date_pattern_parts, strptime_format
from upflux_etl.catalog.clients import client_datasets, dataset_source
from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.expectation_types import check_expectation
from upflux_etl.catalog.models import ClientSpec, ColumnSpec
from upflux_etl.catalog.queries import client_query
from upflux_etl.catalog.yaml_files import YamlDoc

if TYPE_CHECKING:
    from upflux_etl.catalog.reader import Catalog

_NUMERIC = ("integer", "double", "decimal")
_DATED = ("date", "timestamp")


def client_options_problems(
    client: ClientSpec, catalog: Catalog, doc: YamlDoc
) -> list[ConfigError]:
    """Every problem of the client's own queries, establishment filter, formats and checks."""
    if any(s.profile and s.profile not in catalog.profiles for s in client.sources.values()):
        return []  # an unknown profile is reported by the source checks; nothing to add here
    return [
        *_source_problems(client, catalog, doc),
        *_query_problems(client, catalog, doc),
        *_format_problems(client, catalog, doc),
        *_check_problems(client, catalog, doc),
    ]


def _source_problems(client: ClientSpec, catalog: Catalog, doc: YamlDoc) -> Iterator[ConfigError]:
    datasets = catalog.canonical.datasets
    for name, source in client.sources.items():
        if source.dialect and Dialect.get(source.dialect) is None:
            yield doc.error(
                f"sources.{name}.dialect",
                f"unknown SQL dialect {source.dialect!r} (sqlglot names: postgres, mysql, "
                "tsql, oracle, sqlite, ...)",
            )
        if source.profile is not None:
            continue
        read = [d for d in client.datasets if d in datasets]
        if not any(dataset_source(client, datasets[d]) == name for d in read):
            yield doc.error(
                f"sources.{name}",
                "no dataset is read from this source: a source without a profile needs each "
                f"dataset's own query (datasets.<dataset>.query or .sql, source: {name})",
            )
        if source.establishment and not source.establishment.columns:
            yield doc.error(
                f"sources.{name}.establishment.columns",
                "name the establishment column of each table (table: column)",
            )


def _query_problems(client: ClientSpec, catalog: Catalog, doc: YamlDoc) -> Iterator[ConfigError]:
    # Imported here: extract/ is the runtime's; the catalog only borrows its SQL parsing.
    from upflux_etl.extract.establishment import filter_establishment
    from upflux_etl.extract.sql import QueryError, parse_one_statement
    from upflux_etl.extract.urls import dialect_of

    for dataset in client_datasets(client, catalog):
        spec = catalog.canonical.datasets[dataset]
        source_name = dataset_source(client, spec)
        source = client.sources.get(source_name)
        if source is None:
            continue
        query = client_query(client, catalog, dataset)
        dialect = query.dialect or (dialect_of(source.url) if source.url else None)
        own = dataset in client.queries
        inline = own and bool(client.datasets[dataset].sql)
        where = f"datasets.{dataset}.{'sql' if inline else 'query'}"
        try:
            if own and dialect:
                parse_one_statement(query.sql, dialect)
            if query.establishment_value is not None and query.establishment and dialect:
                filter_establishment(
                    query.sql, dialect, query.establishment, query.establishment_value
                )
        except QueryError as exc:
            if own:  # the field names the query already
                yield doc.error(where, f"dataset {dataset}: {exc}")
            else:
                yield doc.error(f"sources.{source_name}.establishment", f"{query.name}: {exc}")
        except ValueError as exc:  # an unsupported URL: reported by the source checks
            yield doc.error(f"sources.{source_name}", str(exc))


def _format_problems(client: ClientSpec, catalog: Catalog, doc: YamlDoc) -> Iterator[ConfigError]:
    for dataset, override in client.datasets.items():
        spec = catalog.canonical.datasets.get(dataset)
        if spec is None:
            continue
        for column, fmt in override.formats.items():
            where = f"datasets.{dataset}.formats.{column}"
            if column not in spec.columns:
                yield doc.error(where, f"{dataset} has no column {column!r}")
                continue
            problem = format_problem(spec.columns[column], fmt)
            if problem:
                yield doc.error(where, problem)


def format_problem(column: ColumnSpec, fmt: str) -> str | None:
    """Why `fmt` cannot be a text format of `column`, or None."""
    if column.type in _NUMERIC:
        if fmt not in NUMBER_FORMATS:
            return f"a {column.type} column takes a number format: {' or '.join(NUMBER_FORMATS)}"
        return None
    if column.type not in (*_DATED, "time"):
        return f"a {column.type} column takes no format (numbers, dates and times only)"
    try:
        strptime_format(fmt)
    except ValueError as exc:
        return str(exc)
    parts = date_pattern_parts(fmt)
    needed = {"hh", "mi"} if column.type == "time" else {"dd", "mm"}
    if not needed <= parts or (column.type in _DATED and not parts & {"yyyy", "yy"}):
        wanted = "hh and mi" if column.type == "time" else "dd, mm and yyyy (or yy)"
        return f"format {fmt!r} of a {column.type} column needs {wanted}"
    return None


def _check_problems(client: ClientSpec, catalog: Catalog, doc: YamlDoc) -> Iterator[ConfigError]:
    for dataset, settings in client.checks.items():
        if dataset not in catalog.checks:
            yield doc.error(
                f"checks.{dataset}",
                f"unknown dataset {dataset!r}; known: {', '.join(sorted(catalog.checks))}",
            )
            continue
        known = {e.name: e for e in catalog.checks[dataset]}
        for name, setting in settings.items():
            where = f"checks.{dataset}.{name}"
            if name not in known:
                yield doc.error(
                    where, f"unknown check {name!r} of {dataset}; known: {', '.join(sorted(known))}"
                )
                continue
            changed = known[name].model_copy(
                update={"kwargs": {**known[name].kwargs, **setting.thresholds()}}
            )
            for field_name, message in check_expectation(changed):
                if field_name == "kwargs":
                    yield doc.error(where, f"{name} ({known[name].type}): {message}")
                else:
                    yield doc.error(f"{where}.{field_name}", message)
