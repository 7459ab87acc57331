"""The whole demo client with its ERP on the real servers — PostgreSQL (ADBC), MariaDB
(SQLAlchemy + pymysql), and ODBC to each (its URL in an environment variable, where a password
would be) — judged by the SQLite demo's own acceptance assertions
(tests/integration/test_demo_pipeline.py): every injected defect caught by its named check
with the manifest's count, the ledger balanced and equal to the manifest's row counts,
indicators equal to the generator's ground truth. Then rows change in the source and an
incremental load republishes them."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import pytest

from tests.integration import test_demo_pipeline as acceptance
from tests.support.databases import admin, database_demo, demo_in_server, module_settings, odbc_url
from tests.support.demo import DemoClient, materialize_client

DEMO = {"beds": 40, "months": 2, "scale": 0.2, "end_date": "2026-09-30"}
# After every timestamp of the demo (it ends 2026-09-30) and before the tests' "now": past
# the full load's watermark, so the incremental load must pick these rows up.
TOUCHED_AT = "2026-10-15 08:00:00"
TOUCHED_CID = "Z00"  # a valid CID-10 no indicator reads: the ground truth stays true
# Both ODBC drivers are read in test_sources.py; one ODBC client here keeps the module quick
# ("odbc_mariadb" works the same way).
VARIANTS = ["postgres", "mariadb", "odbc_postgres"]


@dataclass
class Erp:
    """A demo ERP generated into a server: its admin URL, schema/database and quoting."""

    url: str
    schema: str
    demo: DemoClient
    quote: str

    def table(self, name: str) -> str:
        return f"{self.quote}{self.schema}{self.quote}.{name}"


@dataclass
class Loaded:
    """A client's full load, then its incremental load after `touched` encounters changed."""

    erp: Erp
    demo: DemoClient
    instance: dg.DagsterInstance
    full: dg.ExecuteInProcessResult
    incremental: dg.ExecuteInProcessResult
    touched: list[str]
    counts_before: dict[str, int]
    open_before: list[tuple[str, str]]  # (dataset, key) open in quarantine after the full load
    parts_before: dict[str, tuple[int, int, int]]  # part file -> inode, mtime, size


def _part_files(demo: DemoClient) -> dict[str, tuple[int, int, int]]:
    root = demo.warehouse.parent
    return {
        p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
        for p in (root / "tables").glob("*/*.parquet")
    }


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    key = {"UPFLUX_PSEUDONYM_KEY_DEMO": "databases-key-" + "0" * 32}
    with module_settings(tmp_path_factory.mktemp("databases"), **key) as settings_and_mp:
        yield settings_and_mp


@pytest.fixture(scope="module")
def postgres_erp(env):
    with demo_in_server(env[0], "pg", "postgres", "upflux_demo", **DEMO) as (url, schema, demo):
        yield Erp(url, schema, demo, '"')


@pytest.fixture(scope="module")
def mariadb_erp(env):
    with demo_in_server(env[0], "maria", "mariadb", "upflux_demo", **DEMO) as (url, db, demo):
        yield Erp(url, db, demo, "`")


def _client(request, variant: str) -> tuple[Erp, DemoClient]:
    """The ERP a variant reads and its client (ODBC clients read an ERP generated earlier)."""
    settings, mp = request.getfixturevalue("env")
    erp: Erp = request.getfixturevalue("postgres_erp" if "postgres" in variant else "mariadb_erp")
    if not variant.startswith("odbc"):
        return erp, erp.demo
    variable = f"UPFLUX_TEST_{variant.upper()}_URL"
    mp.setenv(variable, odbc_url(erp.url, "postgres" if "postgres" in variant else "mysql"))
    client = database_demo(
        settings, variant, schema=erp.schema, url_env=variable, erp_dir=erp.demo.erp_dir, **DEMO
    )
    return erp, client


def _counts(demo: DemoClient) -> dict[str, int]:
    return {
        ds: acceptance.load_rows(demo, f'select count(*) from main."{ds}"')[0][0]
        + acceptance.load_rows(demo, f'select count(*) from quarantine."{ds}"')[0][0]
        for ds in demo.defects["row_counts"]
    }


@pytest.fixture(scope="module", params=VARIANTS)
def loaded(request) -> Loaded:
    erp, demo = _client(request, request.param)
    instance = dg.DagsterInstance.ephemeral()
    full = materialize_client(demo, instance=instance)
    assert full.success
    touched = [
        r[0]
        for r in acceptance.load_rows(
            demo,
            "select encounter_id from main.encounters where discharged_at is not null "
            "and cid10 <> ? order by encounter_id desc limit 5",
            [TOUCHED_CID],
        )
    ]
    counts_before = _counts(demo)
    open_before = _open(demo)
    parts_before = _part_files(demo)
    admin(
        erp.url,
        f"update {erp.table('atendimento')} set cd_cid_principal = '{TOUCHED_CID}', "
        f"dt_atualizacao = '{TOUCHED_AT}' where cd_atendimento in ({', '.join(touched)})",
    )
    incremental = materialize_client(demo, full=False, instance=instance)
    return Loaded(
        erp, demo, instance, full, incremental, touched, counts_before, open_before, parts_before
    )


def _open(demo: DemoClient) -> list[tuple[str, str]]:
    """(dataset, key as text) of every record open in quarantine (a one-column key per dataset)."""
    found = []
    for ds, (key,) in (("encounters", ("encounter_id",)), ("exams", ("order_id",))):
        found += [
            (ds, r[0]) for r in acceptance.load_rows(demo, f'select "{key}" from quarantine."{ds}"')
        ]
    return sorted(found)


def _as_demo_fixture(loaded: Loaded, result) -> tuple:
    return loaded.demo, result, loaded.instance


def test_both_loads_succeed(loaded):
    assert loaded.full.success and loaded.incremental.success


def test_every_defect_is_caught_with_the_manifests_count(loaded):
    assert "garbage_timestamp" not in {d["defect"] for d in loaded.demo.defects["defects"]}
    acceptance.test_every_injected_defect_is_caught_by_its_named_check_with_the_manifests_count(
        _as_demo_fixture(loaded, loaded.full)
    )


def test_the_ledger_equals_the_manifest_and_balances(loaded):
    acceptance.test_no_row_is_lost(_as_demo_fixture(loaded, loaded.full))


def test_indicators_equal_the_ground_truth(loaded):
    acceptance.test_indicators_equal_the_generators_ground_truth(
        _as_demo_fixture(loaded, loaded.full)
    )


def test_the_incremental_load_republishes_the_changed_rows(loaded):
    load_id = loaded.incremental.run_id
    rows = acceptance.load_rows(
        loaded.demo,
        "select encounter_id, cid10, _load_id from main.encounters where encounter_id in "
        f"({', '.join('?' * len(loaded.touched))})",
        loaded.touched,
    )
    assert len(loaded.touched) == 5
    assert sorted(rows) == sorted((e, TOUCHED_CID, load_id) for e in loaded.touched)


def test_the_incremental_load_reads_only_changes_and_keeps_the_ledger_balanced(loaded):
    ledger = {
        ds: (extracted, published, quarantined, held)
        for ds, extracted, published, quarantined, held in acceptance.load_rows(
            loaded.demo,
            "select dataset, extracted, published, quarantined, held from meta.ledger "
            "where load_id = ?",
            [loaded.incremental.run_id],
        )
    }
    full = loaded.demo.defects["row_counts"]
    assert set(ledger) == set(full)
    for ds, (extracted, published, quarantined, held) in ledger.items():
        assert extracted == published + quarantined + held, ds
    # the touched rows, plus rows stamped at the watermark's second or (garbage) later
    assert 5 <= ledger["encounters"][0] < full["encounters"] / 10
    # rows read again replace their earlier version: nothing is duplicated or lost
    assert _counts(loaded.demo) == loaded.counts_before


def test_the_incremental_load_writes_its_change_and_never_rewrites_the_history(loaded):
    """Issue 6: the full load's parts stay as they were (same file, same bytes); the
    incremental load's new part holds its published rows; the catalog a build copies holds no
    dataset's rows."""
    demo, load_id = loaded.demo, loaded.incremental.run_id
    after = _part_files(demo)
    kept = {f: v for f, v in after.items() if f in loaded.parts_before}
    assert kept == {f: loaded.parts_before[f] for f in kept}  # untouched
    full = loaded.full.run_id
    assert any(f.startswith(f"tables/encounters/{full}-") for f in kept)
    (written,) = acceptance.load_rows(
        demo,
        "select sum(rows) from meta.parts where dataset = 'encounters' and load_id = ?",
        [load_id],
    )
    (published,) = acceptance.load_rows(
        demo,
        "select published from meta.ledger where dataset = 'encounters' and load_id = ?",
        [load_id],
    )
    assert written == published  # the changed encounters alone, not the history
    # The catalog holds no dataset's rows: a build copies it, not the history.
    assert acceptance.load_rows(
        demo, "select count(*) from duckdb_tables() where schema_name = 'main'"
    ) == [(0,)]


def test_indicators_still_equal_the_ground_truth_after_the_incremental_load(loaded):
    acceptance.test_indicators_equal_the_generators_ground_truth(
        _as_demo_fixture(loaded, loaded.incremental)
    )


def test_quarantined_records_stay_open_across_the_incremental_load(loaded):
    """Issue 7: the incremental load extracts none of them, yet every record the full load
    quarantined is still open, first seen on the full load and checked again by the
    incremental one (fixing at the source and release: test_quarantine_lifecycle.py)."""
    demo, full, incremental = loaded.demo, loaded.full.run_id, loaded.incremental.run_id
    assert loaded.open_before
    assert _open(demo) == loaded.open_before
    seen = acceptance.load_rows(
        demo,
        "select distinct _first_seen_load, _last_seen_load from quarantine.exams "
        "where _source is not null",
    )
    assert seen == [(full, incremental)]
    assert acceptance.load_rows(
        demo, "select count(*) from meta.quarantine_resolved where load_id = ?", [incremental]
    ) == [(0,)]
