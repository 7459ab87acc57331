"""Personal data never on disk, and one key per hospital, as a person runs `upflux`.

A small hospital whose ERP (PostgreSQL, a throw-away schema) holds patients with CPFs, CNSs and
names; only its patients are loaded, by the client's own query. After each run, every file
under the data folder (builds, DuckDB WAL files, the state store) and under DAGSTER_HOME (the
event log) is read as raw bytes, and every DuckDB file is also opened and every text column
searched: none of the source's CPFs, CNSs or names may be found.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.dbservers import postgres_url
from tests.e2e.conftest import Call, World, assert_ok
from tests.support.databases import admin, unique_name
from tests.support.demo import client_key_of, key_env_of
from upflux_etl.extract.identifiers import cpf_check_digits
from upflux_etl.state.store import StateStore

OFF = ["encounters", "er_visits", "bed_movements", "beds", "exams", "surgeries"]
OFF += ["surgery_rooms", "billing"]


def cpf(base: str) -> str:
    digits = base + cpf_check_digits(base)
    return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"


PATIENTS = [  # (cd_paciente, prontuario, cpf, cns, name)
    ("1", "PRT-771234", cpf("529982247"), "898001160012344", "Maria Aparecida Quintanilha"),
    ("2", "PRT-771235", cpf("318765442"), "700508412239873", "Joaquim Bezerra Albuquerque"),
    ("3", "PRT-771236", cpf("604193285"), "201476399810008", "Rosangela Tavares Pimentel"),
]
# The standard query's columns, with `as <alias>` slots the tests change.
QUERY = """\
select
    cast(p.cd_paciente as varchar(20)) as record_id,
    cast(p.nr_prontuario as varchar(20)) as patient_key,
    p.nr_cpf as {cpf},
    p.nr_cartao_sus as cns,
    cast(to_char(p.dt_nascimento, 'YYYY') as integer) as birth_year,
    cast(to_char(p.dt_nascimento, 'MM') as integer) as birth_month,
    p.ie_sexo as sex,
    m.ds_municipio as city,
    m.sg_uf as uf,
    p.dt_atualizacao as updated_at{extra}
from paciente as p
left join municipio as m on p.cd_municipio_ibge = m.cd_municipio_ibge
"""


def clear_needles() -> list[bytes]:
    """Every clear identifier of the source, in each spelling it could be written in."""
    needles = []
    for _, prontuario, number, cns, name in PATIENTS:
        digits = "".join(c for c in number if c.isdigit())
        needles += [prontuario, number, digits, cns, name, name.split()[-1]]
    return [n.encode() for n in needles] + [n.encode("utf-16-le") for n in needles]


@dataclass
class Hospital:
    """One world with a client `sigilo` reading a PostgreSQL schema of a few patients."""

    world: World
    url: str
    schema: str

    @property
    def client_file(self) -> Path:
        return self.world.clients / "sigilo.yaml"

    def write_client(self, query: str, *, stem: str = "sigilo", shared_with=()) -> None:
        (self.world.clients / f"{stem}.sql").write_text(query, encoding="utf-8")
        shared = f", shared_with: [{', '.join(shared_with)}]" if shared_with else ""
        off = "\n".join(f"  {d}: {{enabled: false}}" for d in OFF)
        (self.world.clients / f"{stem}.yaml").write_text(
            textwrap.dedent(
                f"""\
                name: Hospital {stem}
                timezone: America/Sao_Paulo
                sources:
                  erp: {{profile: hospitalis, url: "{self.url}", schema: {self.schema}}}
                pseudonymisation: {{key_env: {key_env_of(stem)}{shared}}}
                indicators: []
                datasets:
                  patients: {{query: {stem}.sql}}
                """
            )
            + off
            + "\n",
            encoding="utf-8",
        )

    def run(self, *args: str, env: dict[str, str] | None = None) -> Call:
        return self.world.finish(self.world.start("run", *args, env_extra=env or {}))

    def published_patients(self, stem: str = "sigilo") -> list[tuple]:
        path = self.world.data / stem / "warehouse.duckdb"
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute(
                "select record_id, patient_key, cpf, cpf_valid from main.patients order by 1"
            ).fetchall()
        finally:
            con.close()

    def clear_values_on_disk(self, tmp_path: Path) -> list[str]:
        """Where a clear identifier of the source was found (empty: nowhere)."""
        needles = clear_needles()
        found = []
        for root in (self.world.data, self.world.dagster_home):
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                data = path.read_bytes()
                found += [f"{path}: {n!r}" for n in needles if n in data]
                if path.suffix == ".duckdb":
                    found += _in_duckdb(path, needles, tmp_path)
        return found


def _in_duckdb(path: Path, needles: list[bytes], tmp_path: Path) -> list[str]:
    # A copy (with its WAL, if any), opened read-only: compressed strings are searched too.
    copy = tmp_path / f"scan-{unique_name('db')}.duckdb"
    shutil.copyfile(path, copy)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    con = duckdb.connect(str(copy))
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        texts = [n.decode() for n in needles[: len(needles) // 2]]
        found = []
        for schema, table, column in columns:
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where '
                + " or ".join(f'contains("{column}", ?)' for _ in texts),
                texts,
            ).fetchone()[0]
            if hits:
                found.append(f"{path}: {schema}.{table}.{column} holds clear values")
        return found
    finally:
        con.close()


@pytest.fixture
def hospital(tmp_path) -> Hospital:
    url, schema = postgres_url(), unique_name("upflux_privacy")
    admin(
        url,
        f'create schema "{schema}"',
        f'create table "{schema}".municipio (cd_municipio_ibge integer primary key, '
        "ds_municipio varchar(60), sg_uf char(2))",
        f"insert into \"{schema}\".municipio values (3509502, 'Campinas', 'SP')",
        f'create table "{schema}".paciente (cd_paciente integer primary key, '
        "nr_prontuario varchar(20), nr_cpf varchar(14), nr_cartao_sus varchar(15), "
        "nm_paciente varchar(80), dt_nascimento date, ie_sexo char(1), "
        "cd_municipio_ibge integer, dt_atualizacao timestamp)",
        *[
            f"insert into \"{schema}\".paciente values ({rid}, '{pr}', '{c}', '{cns}', '{nm}', "
            "date '1980-05-17', 'F', 3509502, timestamp '2026-09-01 10:00:00')"
            for rid, pr, c, cns, nm in PATIENTS
        ],
    )
    world = World(tmp_path / "world")
    world.clients.mkdir(parents=True)
    try:
        yield Hospital(world, url, schema)
    finally:
        admin(url, f'drop schema if exists "{schema}" cascade')


def test_an_upper_case_cpf_alias_is_protected_and_nothing_clear_reaches_disk(hospital, tmp_path):
    """Oracle over ODBC returns "CPF": the column is the canonical cpf, pseudonymised."""
    hospital.write_client(QUERY.format(cpf='"CPF"', extra=""))
    call = hospital.run("sigilo", "--full")
    assert_ok(call)
    rows = hospital.published_patients()
    assert [r[0] for r in rows] == ["1", "2", "3"], call.explain()
    for _, patient_key, cpf_hash, valid in rows:
        assert len(patient_key) == 32 and len(cpf_hash) == 32 and valid is True
    assert hospital.clear_values_on_disk(tmp_path) == []


def test_an_undeclared_column_is_refused_before_anything_is_written(hospital, tmp_path):
    hospital.write_client(QUERY.format(cpf="cpf", extra=",\n    p.nm_paciente as patient_name"))
    call = hospital.run("sigilo", "--full")
    assert call.returncode == 1, call.explain()
    assert "Traceback" not in call.output, call.explain()
    assert "patient_name" in call.output and "sigilo.sql" in call.output, call.explain()
    assert "not in the canonical model" in call.output, call.explain()
    assert not (hospital.world.data / "sigilo" / "warehouse.duckdb").exists()
    assert hospital.clear_values_on_disk(tmp_path) == []


def test_a_driver_error_quoting_a_cpf_is_scrubbed_in_log_state_and_event_log(hospital, tmp_path):
    # PostgreSQL: invalid input syntax for type integer: "529.982.247-25"
    query = QUERY.format(cpf="cpf", extra="").replace(
        "cast(to_char(p.dt_nascimento, 'MM') as integer)", "cast(p.nr_cpf as integer)"
    )
    hospital.write_client(query)
    call = hospital.run("sigilo", "--full")
    assert call.returncode == 1, call.explain()
    assert "invalid input syntax" in call.output and "<value>" in call.output, call.explain()
    assert not [n for n in clear_needles() if n.decode("utf-8", "ignore") in call.output]
    store = StateStore(f"sqlite:///{hospital.world.data / 'state.sqlite'}")
    try:
        error = store.last_run("sigilo").error
    finally:
        store.dispose()
    assert "invalid input syntax" in error and "<value>" in error, error
    events = _failure_messages(hospital.world.dagster_home)
    assert any("invalid input syntax" in m and "<value>" in m for m in events), events
    assert hospital.clear_values_on_disk(tmp_path) == []


def _failure_messages(dagster_home: Path) -> list[str]:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        messages = []
        for record in instance.get_records_for_run(
            instance.get_runs()[0].run_id, of_type=dg.DagsterEventType.STEP_FAILURE
        ).records:
            error = record.event_log_entry.dagster_event.step_failure_data.error
            while error is not None:
                messages.append(error.message)
                error = error.cause
        return messages


def _pseudonym(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def test_a_changed_key_is_refused_before_extraction_and_rotation_re_pseudonymises(hospital):
    hospital.write_client(QUERY.format(cpf="cpf", extra=""))
    var, old_key, new_key = key_env_of("sigilo"), client_key_of("sigilo"), "rotated-key-" + "7" * 32
    assert_ok(hospital.run("sigilo", "--full"))
    assert hospital.published_patients()[0][1] == _pseudonym(old_key, "PRT-771234")

    # The source is gone: a refusal about the key proves nothing was extracted first.
    admin(hospital.url, f'alter table "{hospital.schema}".paciente rename to paciente_away')
    refused = hospital.run("sigilo", env={var: new_key})
    assert refused.returncode == 1, refused.explain()
    assert "not the key this hospital's warehouse was pseudonymised with" in refused.output
    assert "--full --rotate-key" in refused.output and new_key not in refused.output
    assert "paciente" not in refused.output, refused.explain()
    admin(hospital.url, f'alter table "{hospital.schema}".paciente_away rename to paciente')
    assert hospital.published_patients()[0][1] == _pseudonym(old_key, "PRT-771234")

    not_full = hospital.run("sigilo", "--rotate-key", env={var: new_key})
    assert not_full.returncode == 2 and "needs --full" in not_full.stderr, not_full.explain()

    assert_ok(hospital.run("sigilo", "--full", "--rotate-key", env={var: new_key}))
    rows = hospital.published_patients()
    assert [r[1] for r in rows] == [_pseudonym(new_key, p[1]) for p in PATIENTS]
    assert_ok(hospital.run("sigilo", env={var: new_key}))  # the new key is now the key


def test_two_hospitals_sharing_a_key_are_refused_unless_both_declare_it(hospital):
    query = QUERY.format(cpf="cpf", extra="")
    hospital.write_client(query)
    hospital.write_client(query, stem="irma")
    same = {key_env_of("irma"): client_key_of("sigilo")}

    validate = hospital.world.finish(hospital.world.start("validate", env_extra=same))
    assert validate.returncode != 0, validate.explain()
    assert "sigilo.yaml" in validate.output and "irma.yaml" in validate.output
    assert "shared_with" in validate.output and client_key_of("sigilo") not in validate.output

    # Without the other hospital's variable here, its published warehouse's fingerprint says it.
    assert_ok(hospital.run("sigilo", "--full"))
    alone = {key_env_of("irma"): client_key_of("sigilo"), key_env_of("sigilo"): ""}
    refused = hospital.run("irma", "--full", env=alone)
    assert refused.returncode == 1, refused.explain()
    assert "key of hospital sigilo's warehouse" in refused.output, refused.explain()
    assert not (hospital.world.data / "irma" / "warehouse.duckdb").exists()

    hospital.write_client(query, shared_with=["irma"])
    hospital.write_client(query, stem="irma", shared_with=["sigilo"])
    validate = hospital.world.finish(hospital.world.start("validate", env_extra=same))
    assert_ok(validate)
    assert_ok(hospital.run("irma", "--full", env=alone))
