"""`upflux discover`: a profile of an unseen source, to write its queries and mappings.

Light on a production database: row counts from the catalog's statistics, column profiles
from a sample (the first rows of each table), unless `exact`. Values of columns that look
personal (CPF/CNS-shaped, names, by column name or value shape) are never shown: only counts.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from upflux_etl.catalog.models import ClientSpec
from upflux_etl.extract.identifiers import cns_is_valid, cpf_is_valid, digits
from upflux_etl.extract.probe import Probe, open_probe
from upflux_etl.extract.session_options import session_options
from upflux_etl.extract.source_catalog import SourceTable, indexed_columns, source_tables
from upflux_etl.extract.urls import resolve_url
from upflux_etl.onboarding.column_types import family
from upflux_etl.settings import Settings

SAMPLE_ROWS = 10_000
MAX_CODES = 20  # a column with at most this many distinct values is listed as codes
_PERSONAL_NAME = re.compile(
    r"cpf|cns|cartao_?sus|^nm_|nome|name|mae|pai|prontuario|e_?mail|telefone|fone|celular|"
    r"endereco|logradouro|^rg$|nr_rg|nascimento|birth",
    re.I,
)
# Timestamps kept as text (SQLite, old ERPs) are recognised by their names.
_TIME_NAME = re.compile(r"^(dt|data|hr)_|_(at|em|day|date)$|^date", re.I)
_WORDS = re.compile(r"^[^\W\d_]{2,}(?: [^\W\d_.]{1,}){1,}$")


@dataclass(frozen=True)
class DiscoverOptions:
    """What to profile and how hard."""

    tables: str | None = None  # a glob on table names (case-insensitive)
    exact: bool = False
    sample_rows: int = SAMPLE_ROWS


def discover_source(probe: Probe, schema: str | None, options: DiscoverOptions) -> dict[str, Any]:
    """The profile of every table of `schema` matching `options.tables`."""
    tables = source_tables(probe, schema)
    wanted = {
        key: table
        for key, table in tables.items()
        if options.tables is None or fnmatch.fnmatch(key, options.tables.lower())
    }
    indexed = indexed_columns(probe, schema)
    return {
        "sampling": "every row (--exact)"
        if options.exact
        else f"the first {options.sample_rows:,} rows of each table",
        "tables": {
            table.name: _table(probe, schema, table, indexed, options) for table in wanted.values()
        },
    }


def _qualified(probe: Probe, schema: str | None, name: str) -> str:
    parts = ([schema] if schema and probe.dialect != "sqlite" else []) + [name]
    return ".".join(exp.to_identifier(p, quoted=True).sql(dialect=probe.dialect) for p in parts)


def _table(
    probe: Probe,
    schema: str | None,
    table: SourceTable,
    indexed: set[tuple[str, str]],
    options: DiscoverOptions,
) -> dict[str, Any]:
    name = _qualified(probe, schema, table.name)
    if options.exact or table.estimated_rows is None:
        rows, rows_from = int(probe.rows(f"select count(*) from {name}")[0][0]), "count(*)"
    else:
        rows, rows_from = table.estimated_rows, "catalog statistics (estimate)"
    limit = "" if options.exact else f" limit {int(options.sample_rows)}"
    sample = probe.rows(f"select * from {name}{limit}")
    names = [d[0] for d in probe.cursor.description or []]
    columns = {
        column: _column(column, table.columns.get(column, ""), [r[i] for r in sample])
        for i, column in enumerate(names)
    }
    lower = table.name.lower()
    return {
        "rows": rows,
        "rows_from": rows_from,
        "sampled_rows": len(sample),
        "columns": columns,
        "candidate_keys": [
            c
            for c, p in columns.items()
            if sample and p["null_share"] == 0 and p["distinct"] == len(sample)
        ],
        "timestamp_columns": [
            {"column": c, "indexed": (lower, c.lower()) in indexed}
            for c, p in columns.items()
            if family(p["type"]) in ("timestamp", "date") or _TIME_NAME.search(c)
        ],
    }


def _column(name: str, type_: str, values: list[Any]) -> dict[str, Any]:
    present = [v for v in values if v is not None]
    counts = Counter(str(v) for v in present)
    profile: dict[str, Any] = {
        "type": type_,
        "null_share": round(1 - len(present) / len(values), 4) if values else 0.0,
        "distinct": len(counts),
    }
    personal = personal_reason(name, present)
    if personal:
        profile["personal"] = personal  # values never shown
    elif 0 < len(counts) <= MAX_CODES:
        profile["codes"] = dict(counts.most_common())
    return profile


def personal_reason(name: str, values: list[Any]) -> str | None:
    """Why a column looks personal (its values must not be shown), or None."""
    if _PERSONAL_NAME.search(name):
        return "column name"
    text = [str(v).strip() for v in values[:1000] if isinstance(v, str | int)]
    if not text:
        return None
    shaped = sum(1 for v in text if _is_document(v))
    if shaped and shaped >= len(text) / 10:
        return "CPF/CNS-shaped values"
    named = sum(1 for v in text if _WORDS.match(v))
    if named >= len(text) / 2 and len(set(text)) > MAX_CODES:
        return "name-shaped values"
    return None


def _is_document(value: str) -> bool:
    d = digits(value)
    return (len(d) == 11 and cpf_is_valid(d)) or (len(d) == 15 and cns_is_valid(d))


def discover_client(
    settings: Settings, client: ClientSpec, options: DiscoverOptions
) -> dict[str, Any]:
    """The profile of every source of `client` (each through a read-only probe session)."""
    sources = {}
    for name, source in client.sources.items():
        url = resolve_url(source, settings.data_dir, client.file)
        with open_probe(
            url, source.schema_, session_options(source, client.slug, "discover")
        ) as probe:
            sources[name] = discover_source(probe, source.schema_, options)
    return {"client": client.slug, "sources": sources}
