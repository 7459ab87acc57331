"""Standard queries translated for the databases we cannot run here (SQL Server, Oracle),
compared with reviewed golden files, and parsed back by sqlglot in their dialect.

The golden files live in tests/golden/<profile>/<dataset>.<dialect>.sql. After a deliberate
change (a query, sqlglot's version, `extract/sql.py`), regenerate them with

    UPFLUX_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_sql_translation.py

and review `git diff tests/golden` like any other change: it is what those servers will run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot
import yaml

from upflux_etl.extract.sql import QueryError, incremental, translate
from upflux_etl.settings import project_root

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UNRUNNABLE = ["tsql", "oracle"]
WATERMARK = "2026-10-01 08:00:00"


def _profile_queries() -> list[tuple[str, str, str]]:
    """(profile, dataset, profile dialect) for every standard query of every ERP profile."""
    out = []
    for spec_path in sorted((project_root() / "connectors").glob("*/profile.yaml")):
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        out += [
            (spec_path.parent.name, ds, spec.get("dialect", "postgres")) for ds in spec["datasets"]
        ]
    return out


QUERIES = _profile_queries()


def _query(profile: str, dataset: str) -> str:
    folder = project_root() / "connectors" / profile
    spec = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))
    return (folder / spec["datasets"][dataset]).read_text(encoding="utf-8")


def assert_golden(path: Path, text: str) -> None:
    if os.environ.get("UPFLUX_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    assert path.is_file(), f"no golden file {path}: run with UPFLUX_UPDATE_GOLDEN=1 and review it"
    assert text + "\n" == path.read_text(encoding="utf-8"), (
        f"{path.name} changed: if intended, run with UPFLUX_UPDATE_GOLDEN=1 and review git diff"
    )


def assert_parses_back(sql: str, dialect: str) -> None:
    tree = sqlglot.parse_one(sql, read=dialect)
    # stable: what sqlglot reads back it writes out the same
    assert tree.sql(dialect=dialect, pretty=True) == sql


def test_every_profile_query_is_covered():
    profiles = {p for p, _, _ in QUERIES}
    assert {"hospitalis", "upflux_platform"} <= profiles
    assert len(QUERIES) >= 10


@pytest.mark.parametrize("dialect", UNRUNNABLE)
@pytest.mark.parametrize(("profile", "dataset", "read"), QUERIES, ids=lambda v: str(v))
def test_a_profile_query_translates_to_its_golden_file(profile, dataset, read, dialect):
    translated = translate(_query(profile, dataset), read, dialect)
    assert_golden(GOLDEN / profile / f"{dataset}.{dialect}.sql", translated)
    assert_parses_back(translated, dialect)


@pytest.mark.parametrize("dialect", UNRUNNABLE)
@pytest.mark.parametrize("dataset", ["encounters", "er_visits"])  # er_visits: :changed_since
def test_the_incremental_wrapper_translates_to_its_golden_file(dataset, dialect):
    translated = incremental(
        _query("hospitalis", dataset), "postgres", "updated_at", WATERMARK, dialect
    )
    assert_golden(GOLDEN / "hospitalis" / f"{dataset}.incremental.{dialect}.sql", translated)
    assert_parses_back(translated, dialect)


CHANGED = (
    "with c as (select k from t where u >= :changed_since) "
    "select k, u from t where a = 1 and (:changed_since is null or k in (select k from c))"
)


def test_changed_since_binds_null_and_leaves_no_trace_of_the_filter_on_a_whole_query():
    for write in ("postgres", "mysql", "tsql", "oracle", "sqlite", "duckdb"):
        whole = translate(CHANGED, "postgres", write)
        assert "changed_since" not in whole.lower() and "null" not in whole.lower(), write
        assert " c " not in f" {whole} ".replace("\n", " "), write  # the CTE nothing reads goes
    assert translate(CHANGED, "postgres", "postgres") == translate(
        "select k, u from t where a = 1", "postgres", "postgres"
    )
    assert "WHERE" not in translate(
        "select k from t where :changed_since is null or u >= :changed_since", "postgres", "duckdb"
    )


def test_changed_since_binds_the_watermark_and_keeps_only_the_changed_keys_filter():
    read = incremental(CHANGED, "postgres", "u", WATERMARK, "postgres")
    assert "changed_since" not in read.lower() and "IS NULL" not in read
    assert read.count(f"CAST('{WATERMARK}' AS TIMESTAMP)") == 2  # in the CTE and the wrapper
    assert "a = 1 AND (" in read and "k IN (" in read
    # `and` with false on an incremental read, with true on a whole one
    either = "select k from t where (:changed_since is null and k > 0) or k < 0"
    assert "k > 0" in translate(either, "postgres", "postgres")
    assert "k > 0" not in incremental(either, "postgres", "k", WATERMARK, "postgres")


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("selec 1", "Line 1, Col: 7"),
        ("select a from t where", "Line 1, Col: 21"),
        ("select a, from t where (", "Line 1, Col: 24"),
    ],
)
def test_a_query_that_does_not_parse_is_a_query_error_naming_the_place(sql, problem):
    for attempt in (
        lambda: translate(sql, "postgres", "tsql"),
        lambda: incremental(sql, "postgres", "updated_at", WATERMARK, "tsql"),
    ):
        with pytest.raises(QueryError, match="cannot parse the query as postgres") as err:
            attempt()
        assert problem in str(err.value)


def test_more_than_one_statement_is_a_query_error():
    with pytest.raises(QueryError, match="expected one statement, found 2"):
        translate("select 1; select 2", "postgres", "oracle")


@pytest.mark.parametrize(
    "attempt",
    [
        lambda: translate("select * from t where a = 'x", "postgres", "tsql"),
        lambda: incremental("select 1; select 2", "postgres", "updated_at", WATERMARK, "oracle"),
    ],
    ids=["unterminated_string", "incremental_of_two_statements"],
)
def test_every_unreadable_query_is_a_query_error(attempt):
    with pytest.raises(QueryError) as err:
        attempt()
    assert "\x1b[" not in str(err.value)  # no terminal colour codes in messages


def test_the_watermark_is_a_typed_literal_for_each_target():
    sql = "select updated_at from t"
    assert "TO_TIMESTAMP('2026-10-31 23:59:00', 'YYYY-MM-DD HH24:MI:SS')" in incremental(
        sql, "postgres", "updated_at", "2026-10-31 23:59:00", "oracle"
    )
    assert "CAST('2026-10-31 23:59:00' AS DATETIME2)" in incremental(
        sql, "postgres", "updated_at", "2026-10-31 23:59:00", "tsql"
    )
    assert ">= '2026-10-31 23:59:00'" in incremental(
        sql, "postgres", "updated_at", "2026-10-31 23:59:00", "sqlite"
    )
