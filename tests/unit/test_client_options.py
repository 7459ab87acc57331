"""A client file's own options (issue 8): profile-free sources, the establishment filter,
per-client check settings, code systems, the local-time rule and text formats; each bad one
named by file, field and line."""

from __future__ import annotations

import textwrap

import duckdb
import pytest

from tests.support.synthea import CLIENT_DIR
from upflux_etl.catalog.client_checks import applied_settings, client_checks
from upflux_etl.catalog.client_options import LocalTimes, strptime_format
from upflux_etl.catalog.reader import read_catalog, read_client
from upflux_etl.catalog.validation import validate_project
from upflux_etl.extract.establishment import filter_establishment
from upflux_etl.extract.sql import QueryError
from upflux_etl.settings import Settings
from upflux_etl.warehouse.local_time import local_timestamp
from upflux_etl.warehouse.text_formats import formatted_number, formatted_wall_time

KEY = "k" * 32
BASE = """
name: Hospital Teste
timezone: America/Sao_Paulo
sources:
  erp: {profile: hospitalis, url: "sqlite:///{data_dir}/x.sqlite"}
pseudonymisation: {key_env: UPFLUX_PSEUDONYM_KEY}
"""


@pytest.fixture
def env(tmp_path, monkeypatch) -> Settings:
    (tmp_path / "clients").mkdir()
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(tmp_path / "clients"))
    monkeypatch.setenv("UPFLUX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY", KEY)
    return Settings.from_env()


def problems(settings: Settings, text: str) -> dict[str, tuple[str, int | None]]:
    (settings.clients_dir / "h.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    validation = validate_project(settings)
    return {p.field: (p.message, p.line) for p in validation.problems}


def test_the_synthea_client_file_validates(env, monkeypatch):
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(CLIENT_DIR))
    monkeypatch.setenv("UPFLUX_SYNTHEA_URL", "postgresql://u@127.0.0.1/x")
    monkeypatch.setenv("UPFLUX_PSEUDONYM_KEY_SYNTHEA_CA", "synthea-key-" + "0" * 32)
    validation = validate_project(Settings.from_env())
    assert validation.ok, [str(p) for p in validation.problems]
    (client,) = validation.clients
    assert client.sources["erp"].profile is None
    assert set(client.queries) == {"patients", "encounters", "er_visits", "exams"}


def test_an_unknown_check_and_an_unknown_field_are_named_with_their_line(env):
    found = problems(
        env,
        BASE
        + """
checks:
  exams:
    ordered_at_in_future: {enabled: false, reason: "datas deslocadas no futuro"}
  exames:
    result_after_order: {enabled: false, reason: "datas deslocadas no futuro"}
""",
    )
    message, line = found["checks.exams.ordered_at_in_future"]
    assert "unknown check 'ordered_at_in_future'" in message and "result_after_order" in message
    assert line == 10  # BASE is 5 lines with its pseudonymisation.key_env
    assert "unknown dataset 'exames'" in found["checks.exames"][0]
    found = problems(
        env,
        BASE
        + """
checks:
  exams:
    result_after_order: {enabled: false, reason: "datas deslocadas no futuro", why: x}
""",
    )
    assert found["checks.exams.result_after_order.why"] == ("unknown key (is it a typo?)", 10)


def test_a_check_setting_needs_a_reason_and_a_threshold_the_check_takes(env):
    found = problems(env, BASE + "checks: {exams: {result_after_order: {enabled: false}}}\n")
    assert found["checks.exams.result_after_order.reason"][0] == "Field required"
    found = problems(
        env,
        BASE
        + """
checks:
  exams:
    resulted_at_mostly_filled: {mostly: 0.5, reason: "o laboratório terceirizado não informa"}
""",
    )
    assert (
        "mostly: extra fields not permitted" in found["checks.exams.resulted_at_mostly_filled"][0]
    )


def test_check_settings_and_code_systems_change_the_clients_checks(env):
    path = env.clients_dir / "h.yaml"
    path.write_text(
        BASE
        + """
code_systems: {diagnosis: icd10cm, procedure: local}
checks:
  exams:
    ordered_at_not_in_future: {enabled: false, reason: "datas deslocadas décadas no futuro"}
    resulted_at_mostly_filled: {min_value: 0.2, reason: "laboratório terceirizado sem retorno"}
""",
        encoding="utf-8",
    )
    catalog = read_catalog(env)
    client = read_client(path, catalog)
    exams = {e.name: e for e in client_checks(client, catalog, "exams")}
    assert "ordered_at_not_in_future" not in exams and "exam_code_tuss_format" not in exams
    assert exams["resulted_at_mostly_filled"].kwargs["min_value"] == 0.2
    cid = next(e for e in client_checks(client, catalog, "encounters") if e.name == "cid10_format")
    assert "ICD-10-CM" in cid.description and "{1,4}" in cid.kwargs["regex"]
    assert [(a.check, a.change) for a in applied_settings(client)] == [
        ("ordered_at_not_in_future", "desligada"),
        ("resulted_at_mostly_filled", "min_value = 0.2"),
    ]


def test_formats_must_suit_their_column(env):
    found = problems(
        env,
        BASE
        + """
datasets:
  billing:
    formats: {amount_billed: "1 234,56", billed_at: "yyyy", denial_reason: "dd/mm/yyyy",
              paid_at: "dd/mm/yyyy hh:mi", nope: "dd/mm/yyyy"}
""",
    )
    assert "number format" in found["datasets.billing.formats.amount_billed"][0]
    assert "needs dd, mm" in found["datasets.billing.formats.billed_at"][0]
    assert "takes no format" in found["datasets.billing.formats.denial_reason"][0]
    assert "has no column 'nope'" in found["datasets.billing.formats.nope"][0]
    assert "datasets.billing.formats.paid_at" not in found


def test_a_profile_free_source_needs_queries_and_a_parseable_one(env):
    found = problems(
        env,
        """
name: Hospital Teste
timezone: America/Sao_Paulo
sources:
  erp: {url: "sqlite:///{data_dir}/x.sqlite", dialect: postgres}
  lab: {url: "sqlite:///{data_dir}/y.sqlite", dialect: klingon}
pseudonymisation: {key_env: UPFLUX_PSEUDONYM_KEY}
datasets:
  encounters: {sql: "select from where"}
""",
    )
    assert "cannot parse" in found["datasets.encounters.sql"][0]
    assert "no dataset is read from this source" in found["sources.lab"][0]
    assert "unknown SQL dialect 'klingon'" in found["sources.lab.dialect"][0]


def test_an_establishment_filter_that_filters_nothing_is_refused(env):
    found = problems(
        env,
        BASE.replace(
            'url: "sqlite', 'establishment: {value: 2, columns: {leito: cd_estab}}, url: "sqlite'
        ),
    )
    message, _ = found["sources.erp.establishment"]
    assert "applies to no table of this query" in message and "connectors/hospitalis/" in message


def test_the_establishment_filter_goes_into_where_and_outer_join_conditions():
    sql = """
    with a as (select x, y from atendimento where y > 1),
    b as (select a.x, p.z from a left join paciente as p on p.id = a.x),
    c as (select e.w from exame e join atendimento t on t.x = e.x)
    select * from b
    """
    out = filter_establishment(
        sql, "postgres", {"ATENDIMENTO": "cd_estab", "paciente": "cd_estab"}, 3
    )
    out = " ".join(out.lower().split())
    assert "where y > 1 and atendimento.cd_estab = 3" in out
    assert "on p.id = a.x and p.cd_estab = 3" in out
    assert "where t.cd_estab = 3" in out
    with pytest.raises(QueryError, match="applies to no table"):
        filter_establishment("select 1 from exame", "postgres", {"atendimento": "c"}, 1)


def test_the_date_patterns_become_strptime_formats():
    assert strptime_format("dd/mm/yyyy hh:mi") == "%d/%m/%Y %H:%M"
    assert strptime_format("yyyy-mm-ddThh:mi:ssZ") == "%Y-%m-%dT%H:%M:%SZ"
    with pytest.raises(ValueError, match="use dd, mm"):
        strptime_format("dd/mon/yyyy")


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("1.234,56", "1.234,56", "1234.56"),
        ("-12,5", "1.234,56", "-12.50"),
        ("12.000", "1.234,56", "12000.00"),
        ("1,234.56", "1.234,56", None),
        ("1.23,4", "1.234,56", None),
        ("1,234.56", "1,234.56", "1234.56"),
        ("abc", "1,234.56", None),
    ],
)
def test_numbers_in_a_declared_format(text, fmt, expected):
    con = duckdb.connect()
    sql = f"select {formatted_number('v', fmt, 'decimal')} from (select ? as v)"
    value = con.execute(sql, [text]).fetchone()[0]
    assert (None if value is None else str(value)) == expected


def test_dates_in_a_declared_format():
    con = duckdb.connect()
    sql = f"select {formatted_wall_time('v', 'dd/mm/yyyy')} from (select ? as v)"
    assert str(con.execute(sql, ["31/12/2025"]).fetchone()[0]) == "2025-12-31 00:00:00"
    assert con.execute(sql, ["2025-12-31"]).fetchone()[0] is None
    assert con.execute(sql, ["31/02/2025"]).fetchone()[0] is None


@pytest.mark.parametrize(
    ("rule", "gap", "repeated", "problems"),
    [
        (LocalTimes(), "07:00", "06:30", (None, None)),
        (
            LocalTimes(nonexistent="shift_forward", ambiguous="earlier"),
            "07:30",
            "05:30",
            (None, None),
        ),
        (
            LocalTimes(nonexistent="quarantine", ambiguous="quarantine"),
            None,
            None,
            ("inexistente", "repetido"),
        ),
    ],
)
def test_local_times_that_do_not_exist_or_repeat_follow_the_clients_rule(
    rule, gap, repeated, problems
):
    # New York, 2021: 02:00-03:00 of 14 March did not exist; 01:00-02:00 of 7 November twice.
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    read = local_timestamp("t", "America/New_York", rule)
    problem = read.problem or "cast(null as varchar)"
    rows = con.execute(
        f"select strftime({read.value}, '%H:%M'), {problem} from (values "
        "(timestamp '2021-03-14 02:30'), (timestamp '2021-11-07 01:30'), "
        "(timestamp '2021-07-01 12:00')) as v(t)"
    ).fetchall()
    assert [r[0] for r in rows] == [gap, repeated, "16:00"]
    for (_, got), want in zip(rows, [*problems, None], strict=True):
        assert (got is None) if want is None else (want in got)


def test_unreadable_values_get_a_reason_naming_the_column_never_the_value():
    import pyarrow as pa

    from upflux_etl.extract.readable import UNREADABLE, flag_unreadable

    batch = pa.RecordBatch.from_pydict(
        {
            "code": ["A\x00B", "ok", None, "caf\ufffd"],
            "paid_at": ["0000-00-00", "2025-01-02", None, None],
            "note": pa.array([b"\xff\xfe", b"ok", None, b"x"]),
        }
    )
    out = flag_unreadable(batch).to_pydict()
    assert out[UNREADABLE] == [
        "code: byte NUL no texto; paid_at: data zerada (0000-00-00); "
        "note: texto com codificação inválida",
        None,
        None,
        "code: texto com codificação inválida",
    ]
    assert out["note"] == [None, "ok", None, "x"]  # raw bytes decoded; undecodable ones dropped
    clean = flag_unreadable(pa.RecordBatch.from_pydict({"code": ["a", "b"]}))
    assert clean.column(UNREADABLE).null_count == 2
