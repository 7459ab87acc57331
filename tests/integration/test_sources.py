"""Every database family the connector claims, read through `open_batches` on real servers:
PostgreSQL (ADBC), MariaDB (SQLAlchemy + pymysql), SQLite (ADBC), and ODBC (pyodbc) to
PostgreSQL and to MariaDB. Sessions refuse writes, batches are bounded, empty results keep
their columns, `schema` picks the schema/database, and failures are one-line SourceErrors
that name the source and never its password."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pytest
import sqlalchemy as sa

from tests.dbservers import mariadb_url, postgres_url
from tests.support.databases import admin, mariadb_database, odbc_url, postgres_schema
from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import SourceSpec
from upflux_etl.catalog.reader import parse
from upflux_etl.catalog.yaml_files import YamlDoc
from upflux_etl.extract.drivers.odbc import with_streaming
from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.source import open_batches
from upflux_etl.extract.urls import backend, dialect_of, resolve_url, safe_url

SECRET = "Wr0ng-s3cret-pw"
ROWS = 2_500


@dataclass
class Family:
    """One way of reading a database, with what the tests need to judge it."""

    name: str
    url: str  # what the pipeline would get (a source URL)
    schema: str | None  # the schema/database holding the `probe` and `marker` tables
    other_schema: str | None  # a second one, whose `marker` says "other"
    query: Callable[[str], list[tuple]]  # full-rights reader, to check what was written
    series: str  # ROWS rows, one column `n`
    writes: list[str]  # statements a source session must not be able to apply
    unreachable: str  # the same kind of URL to a closed port, with SECRET as password


def _pg_writes() -> list[str]:
    return [
        "insert into probe values (1)",
        "with w as (insert into probe values (2) returning x) select x from w",
        "create table intruder (x int)",
        # a session's read-only mode can be lifted by the statement that follows it; the
        # connectors run one statement, but even this must leave nothing behind
        "set transaction read write; insert into probe values (3); select 1 as a",
    ]


_MARIADB_WRITES = [
    "insert into probe values (1)",
    "create table intruder (x int)",
    "set transaction read write; insert into probe values (3); select 1 as a",
]
# MariaDB stops recursive CTEs silently at max_recursive_iterations (1000 here): its sequence
# engine gives the rows instead.
_MARIADB_SERIES = f"select seq as n from seq_1_to_{ROWS}"
_SQLITE_SERIES = (
    f"with recursive s(n) as (select 1 union all select n + 1 from s where n < {ROWS}) "
    "select n from s"
)


@pytest.fixture(scope="module")
def pg_schemas():
    url = postgres_url()
    with postgres_schema(url) as one, postgres_schema(url) as other:
        for schema, marker in ((one, "one"), (other, "other")):
            admin(
                url,
                f'create table "{schema}".probe (x int)',
                f'create table "{schema}".marker (v varchar(10))',
                f"insert into \"{schema}\".marker values ('{marker}')",
            )
        yield url, one, other


@pytest.fixture(scope="module")
def mariadb_databases():
    url = mariadb_url()
    with mariadb_database(url) as one, mariadb_database(url) as other:
        for schema, marker in ((one, "one"), (other, "other")):
            admin(
                url,
                f"create table `{schema}`.probe (x int)",
                f"create table `{schema}`.marker (v varchar(10))",
                f"insert into `{schema}`.marker values ('{marker}')",
            )
        yield url, one, other


def _closed_port(url: str) -> str:
    """The same server's URL with SECRET as password and a port nothing listens on."""
    parts = sa.engine.make_url(url).set(port=1, password=SECRET)
    return parts.render_as_string(hide_password=False)


def _pg_query(url: str, schema: str) -> Callable[[str], list[tuple]]:
    return lambda sql: admin(url, f'set search_path to "{schema}"', sql)[1]


def _mariadb_query(url: str, schema: str) -> Callable[[str], list[tuple]]:
    return lambda sql: admin(url, f"use `{schema}`", sql)[1]


def _postgres_family(request, odbc: bool) -> Family:
    url, one, other = request.getfixturevalue("pg_schemas")
    closed = _closed_port(url)
    source, closed = (
        (odbc_url(url, "postgres"), odbc_url(closed, "postgres")) if odbc else (url, closed)
    )
    return Family(
        "odbc_postgres" if odbc else "postgres_adbc",
        source,
        one,
        other,
        _pg_query(url, one),
        f"select g as n from generate_series(1, {ROWS}) as g",
        _pg_writes(),
        closed,
    )


def _mariadb_family(request, odbc: bool) -> Family:
    url, one, other = request.getfixturevalue("mariadb_databases")
    closed = _closed_port(url)
    source, closed = (odbc_url(url, "mysql"), odbc_url(closed, "mysql")) if odbc else (url, closed)
    return Family(
        "odbc_mariadb" if odbc else "mariadb_sqlalchemy",
        source,
        one,
        other,
        _mariadb_query(url, one),
        _MARIADB_SERIES,
        _MARIADB_WRITES,
        closed,
    )


def _sqlite_family(tmp_path) -> Family:
    path = tmp_path / "source.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("create table probe (x int)")

    def query(sql: str) -> list[tuple]:
        with sqlite3.connect(path) as con:
            return con.execute(sql).fetchall()

    return Family(
        "sqlite_adbc",
        f"sqlite:///{path}",
        None,
        None,
        query,
        _SQLITE_SERIES,
        ["insert into probe values (1)", "create table intruder (x int)"],
        f"sqlite:///{tmp_path / 'missing.sqlite'}",
    )


FAMILIES = ["postgres_adbc", "mariadb_sqlalchemy", "sqlite_adbc", "odbc_postgres", "odbc_mariadb"]
SERVERS = [f for f in FAMILIES if f != "sqlite_adbc"]


def _family(request, name: str, tmp_path) -> Family:
    if name == "sqlite_adbc":
        return _sqlite_family(tmp_path)
    maker = _postgres_family if "postgres" in name else _mariadb_family
    return maker(request, odbc=name.startswith("odbc"))


@pytest.fixture(params=FAMILIES)
def family(request, tmp_path) -> Family:
    return _family(request, request.param, tmp_path)


@pytest.fixture(params=SERVERS)
def server(request, tmp_path) -> Family:
    return _family(request, request.param, tmp_path)


def read(family: Family, sql: str, *, batch_rows: int = 10_000, schema: str | None = None):
    with open_batches(
        family.url, sql, schema=schema or family.schema, batch_rows=batch_rows
    ) as batches:
        return list(batches)


def _tables(family: Family) -> set[str]:
    if family.name == "sqlite_adbc":
        rows = family.query("select name from sqlite_master where type = 'table'")
    elif "postgres" in family.name:
        rows = family.query(
            f"select table_name from information_schema.tables where table_schema = '{family.schema}'"
        )
    else:
        rows = family.query("show tables")
    return {r[0] for r in rows}


def test_the_session_refuses_writes_and_nothing_is_written(family):
    for statement in family.writes:
        with pytest.raises(SourceError) as err:
            read(family, statement)
        if statement.startswith(("insert", "create")):  # one statement: refused as a write
            assert re.search(r"read.?only", str(err.value), re.I), str(err.value)
    assert family.query("select count(*) from probe") == [(0,)]
    assert "intruder" not in _tables(family)


def test_batches_hold_at_most_batch_rows(family):
    batches = read(family, family.series, batch_rows=1_000)
    sizes = [b.num_rows for b in batches]
    # ADBC slices the driver's own batches (SQLite's hold 1,024 rows), so some are short
    assert max(sizes) == 1_000 and len(sizes) >= 3, sizes
    values = [int(v) for b in batches for v in b.column("n").to_pylist()]
    assert sorted(values) == list(range(1, ROWS + 1))


def test_an_empty_result_still_yields_its_columns(family):
    batches = read(family, "select x as a, x as b from probe where 1 = 0")
    assert batches, "no batch at all: the warehouse would not learn the columns"
    assert sum(b.num_rows for b in batches) == 0
    assert batches[0].schema.names == ["a", "b"]


def test_the_query_reaches_the_database_as_written(family):
    # '%' and ':' mean parameters to some drivers (pymysql %-formats, SQLAlchemy text() binds)
    sql = "select '%Y-%m' as pct, ':name 08:30' as colon, 'it''s' as quote"
    assert read(family, sql)[0].to_pylist() == [
        {"pct": "%Y-%m", "colon": ":name 08:30", "quote": "it's"}
    ]


def test_schema_selects_the_schema_or_database(server):
    assert read(server, "select v from marker")[0].to_pylist() == [{"v": "one"}]
    other = read(server, "select v from marker", schema=server.other_schema)
    assert other[0].to_pylist() == [{"v": "other"}]


def _assert_clean(err: pytest.ExceptionInfo, *, names: str) -> str:
    message = str(err.value)
    assert names in message, message
    assert SECRET not in message
    assert "\n" not in message and len(message) < 700
    assert err.value.__cause__ is None  # no driver chain to print under it
    return message


def test_an_unreachable_server_is_a_one_line_source_error_without_the_password(family):
    family.url = family.unreachable
    with pytest.raises(SourceError) as err:
        read(family, "select 1 as a")
    shown = safe_url(family.unreachable)
    assert SECRET not in shown
    message = _assert_clean(err, names="missing.sqlite" if family.schema is None else shown)
    if family.schema is not None:
        assert re.search(r"refused|can't connect", message, re.I), message


def test_a_bad_query_is_a_source_error_naming_the_source_and_the_problem(family):
    with pytest.raises(SourceError) as err:
        read(family, "select nope from no_such_table_42")
    message = _assert_clean(err, names=safe_url(family.url))
    assert "no_such_table_42" in message


@pytest.mark.parametrize("family_name", ["mariadb_sqlalchemy", "odbc_mariadb"])
def test_a_wrong_password_is_refused_and_never_shown(request, tmp_path, family_name):
    family = _family(request, family_name, tmp_path)
    url, _, _ = request.getfixturevalue("mariadb_databases")
    wrong = sa.engine.make_url(url).set(password=SECRET).render_as_string(hide_password=False)
    family.url = odbc_url(wrong, "mysql") if family_name == "odbc_mariadb" else wrong
    with pytest.raises(SourceError) as err:
        read(family, "select 1 as a")
    message = _assert_clean(err, names="127.0.0.1")
    assert "Access denied" in message
    assert "***" in message


def test_odbc_and_sqlalchemy_turn_values_into_the_same_text(request, tmp_path):
    """The pyodbc path shares the SQLAlchemy path's conversion: same values, same text."""
    sql = (
        "select 42 as i, cast(12.50 as decimal(10, 2)) as d, 0.25e0 as f, "
        "cast('2026-03-01 07:08:09' as datetime) as ts, cast('2026-03-01' as date) as dd, "
        "'São Paulo – UTI' as s, null as nothing"  # noqa: RUF001  the en dash is the point: non-ASCII text
    )
    sqlalchemy_path = read(_family(request, "mariadb_sqlalchemy", tmp_path), sql)
    odbc_path = read(_family(request, "odbc_mariadb", tmp_path), sql)
    assert odbc_path[0].to_pylist() == sqlalchemy_path[0].to_pylist()
    assert odbc_path[0].to_pylist() == [
        {
            "i": "42",
            "d": "12.50",
            "f": "0.25",
            "ts": "2026-03-01 07:08:09",
            "dd": "2026-03-01",
            "s": "São Paulo – UTI",  # noqa: RUF001  the en dash is the point: non-ASCII text
            "nothing": None,
        }
    ]
    assert all(t == pa.string() for t in odbc_path[0].schema.types)


def test_an_error_in_the_callers_own_code_is_not_blamed_on_the_source(tmp_path):
    family = _sqlite_family(tmp_path)
    with pytest.raises(ZeroDivisionError):
        with open_batches(family.url, "select 1 as a", schema=None, batch_rows=10) as batches:
            for _ in batches:
                1 / 0  # noqa: B018 - the caller's own failure


# --- ODBC URLs (no server needed) -----------------------------------------------------------

ODBC_MARIADB = (
    "odbc+mysql://DRIVER={MariaDB Unicode};SERVER=db.hospital;PORT=3306;UID=upflux;PWD={a;b}}c}"
)


def test_an_odbc_url_names_its_dialect_and_masks_its_password():
    assert backend(ODBC_MARIADB) == "odbc"
    assert dialect_of(ODBC_MARIADB) == "mysql"
    assert dialect_of("odbc+tsql://DSN=erp") == "tsql"
    assert dialect_of("odbc+postgresql://DSN=erp") == "postgres"
    assert safe_url(ODBC_MARIADB) == (
        "odbc+mysql://DRIVER={MariaDB Unicode};SERVER=db.hospital;PORT=3306;UID=upflux;PWD=***"
    )
    with pytest.raises(SourceError, match=r"odbc\+snowflake.*postgres, mysql, tsql, oracle"):
        dialect_of("odbc+snowflake://DSN=x")


def test_streaming_options_are_added_unless_the_url_sets_them():
    assert with_streaming("DRIVER={PostgreSQL Unicode};SERVER=x;", "postgres", 500) == (
        "DRIVER={PostgreSQL Unicode};SERVER=x;UseDeclareFetch=1;Fetch=500"
    )
    assert with_streaming("DSN=erp;usedeclarefetch=0", "postgres", 500) == (
        "DSN=erp;usedeclarefetch=0;Fetch=500"
    )
    assert with_streaming("DSN=erp", "tsql", 500) == "DSN=erp"


def test_an_odbc_password_in_the_client_file_is_refused(tmp_path, monkeypatch):
    # at load: the client file is refused, the message never shows the password
    with pytest.raises(ConfigError, match="url_env") as err:
        parse(
            SourceSpec, YamlDoc(tmp_path / "x.yaml", {"profile": "hospitalis", "url": ODBC_MARIADB})
        )
    assert "a;b" not in str(err.value)
    # and again where the URL is used, for a spec built without validation
    inline = SourceSpec.model_construct(profile="hospitalis", url=ODBC_MARIADB, url_env=None)
    with pytest.raises(SourceError, match="url_env") as err:
        resolve_url(inline, tmp_path, "clients/x.yaml")
    assert "a;b" not in str(err.value)
    monkeypatch.setenv("X_ERP_URL", ODBC_MARIADB)
    from_env = SourceSpec(profile="hospitalis", url_env="X_ERP_URL")
    assert resolve_url(from_env, tmp_path, "clients/x.yaml") == ODBC_MARIADB
