"""Client files and declarative files: valid ones load, broken ones name file and field."""

from __future__ import annotations

import textwrap

import pytest

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import slugify
from upflux_etl.catalog.reader import read_catalog, read_client, read_clients
from upflux_etl.settings import Settings

GOOD = """
name: Hospital Teste
timezone: America/Manaus
sources:
  erp: {profile: hospitalis, url: "sqlite:///{data_dir}/x.sqlite"}
pseudonymisation: {key_env: UPFLUX_PSEUDONYM_KEY}
indicators: [occupancy_rate]
"""


@pytest.fixture(scope="module")
def catalog():
    return read_catalog(Settings.from_env({}))


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_shipped_files_load(catalog):
    assert "hospitalis" in catalog.profiles
    assert set(catalog.suites) <= set(catalog.canonical.datasets)
    assert {"occupancy_rate", "average_length_of_stay", "door_to_triage", "exam_turnaround"} <= set(
        catalog.indicators
    )


def test_a_good_client_loads(tmp_path, catalog):
    client = read_client(write(tmp_path, "Hospital São José-Norte.yaml", GOOD), catalog)
    assert client.slug == "hospital_sao_jose_norte"
    assert client.sources["erp"].profile == "hospitalis"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            ("timezone: America/Manaus", "timezone: Mars/Olympus"),
            "timezone",
            "unknown IANA time zone",
        ),
        (
            ("profile: hospitalis", "profile: tasy"),
            "sources.erp.profile",
            "unknown ERP profile 'tasy'",
        ),
        (("[occupancy_rate]", "[occupancy]"), "indicators.0", "unknown indicator 'occupancy'"),
        (("name: Hospital Teste", "name: X\nnmae: typo"), "nmae", "unknown key"),
        (
            ('url: "sqlite:///{data_dir}/x.sqlite"', 'url: "postgresql://u:secret@h/db"'),
            "sources.erp",
            "password",
        ),
        (
            (
                'url: "sqlite:///{data_dir}/x.sqlite"',
                'url: "odbc+tsql://DRIVER={X};UID=u;PWD=secret"',
            ),
            "sources.erp",
            "password",
        ),
        (
            ("indicators:", "mappings: {colour: {a: b}}\nindicators:"),
            "mappings.colour",
            "unknown mapping kind",
        ),
        (
            ("indicators:", "mappings: {discharge_type: {'11': alt}}\nindicators:"),
            "mappings.discharge_type.11",
            "'alt' is not a canonical value",
        ),
    ],
)
def test_a_broken_client_names_file_and_field(tmp_path, catalog, change, field, words):
    path = write(tmp_path, "bad.yaml", GOOD.replace(*change))
    with pytest.raises(ConfigError) as err:
        read_client(path, catalog)
    assert err.value.file == str(path)
    assert err.value.field == field
    assert words in err.value.message
    assert "secret" not in str(err.value)


def test_invalid_yaml_names_the_line(tmp_path, catalog):
    path = write(tmp_path, "bad.yaml", "name: [unclosed\ntimezone: x\n")
    with pytest.raises(ConfigError) as err:
        read_client(path, catalog)
    assert err.value.field.startswith("line ")


def test_one_broken_file_does_not_hide_the_others(tmp_path, catalog, monkeypatch):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD.replace("America/Manaus", "Nowhere"))
    monkeypatch.setenv("UPFLUX_CLIENTS_DIR", str(tmp_path))
    loaded = read_clients(Settings.from_env(), catalog)
    assert [c.slug for c in loaded.clients] == ["a"]
    assert list(loaded.errors) == ["b"]


def test_slugs_are_valid_asset_key_parts():
    assert slugify("Hospital São José-Norte") == "hospital_sao_jose_norte"
    assert slugify("123 Clínica") == "h_123_clinica"
    with pytest.raises(ValueError):
        slugify("---")
