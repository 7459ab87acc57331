"""Reads the declarative files into typed models: the one place that does config file I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import (
    CanonicalModel,
    ClientSpec,
    IndicatorSpec,
    ProfileSpec,
    SuiteSpec,
    slugify,
)
from upflux_etl.settings import Settings

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Catalog:
    """Everything the project declares, independent of any client."""

    canonical: CanonicalModel
    profiles: dict[str, ProfileSpec]
    suites: dict[str, SuiteSpec]
    indicators: dict[str, IndicatorSpec]
    macros: tuple[str, ...]
    root: Path


@dataclass(frozen=True)
class ClientLoad:
    """The valid clients, and one error per client file that is not."""

    clients: list[ClientSpec] = field(default_factory=list)
    errors: dict[str, ConfigError] = field(default_factory=dict)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, or a ConfigError naming the file (and line for syntax errors)."""
    if not path.is_file():
        raise ConfigError(path, "", "file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise ConfigError(path, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "", f"not UTF-8 text ({exc.reason})") from None
    if not isinstance(data, dict):
        raise ConfigError(path, "", "expected a mapping of keys to values at the top")
    return data


def parse(model: type[M], data: dict[str, Any], path: Path) -> M:
    """Validate `data` as `model`; the first problem becomes a ConfigError with its field path."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"] if p not in ("function-after",))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (is it a typo?)"
        raise ConfigError(path, loc, msg) from None


def read_sql(path: Path, field_name: str, owner: Path) -> str:
    """The text of a query file, or a ConfigError naming the file that points to it."""
    if not path.is_file():
        raise ConfigError(owner, field_name, f"query file {path} not found")
    return path.read_text(encoding="utf-8")


def load_canonical(root: Path) -> CanonicalModel:
    path = root / "connectors" / "canonical.yaml"
    return parse(CanonicalModel, read_yaml(path), path)


def load_profiles(root: Path, canonical: CanonicalModel) -> dict[str, ProfileSpec]:
    """Every `connectors/<erp>/profile.yaml`, with its query files read."""
    profiles = {}
    for path in sorted((root / "connectors").glob("*/profile.yaml")):
        profile = parse(ProfileSpec, read_yaml(path), path)
        if profile.name != path.parent.name:
            raise ConfigError(path, "name", f"must equal the folder name {path.parent.name!r}")
        queries = {}
        for dataset, rel in profile.datasets.items():
            if dataset not in canonical.datasets:
                raise ConfigError(
                    path, f"datasets.{dataset}", _unknown("dataset", dataset, canonical.datasets)
                )
            queries[dataset] = read_sql(path.parent / rel, f"datasets.{dataset}", path)
        _check_mapping_kinds(profile.mappings, canonical, path)
        profiles[profile.name] = profile.model_copy(update={"queries": queries})
    return profiles


def load_suites(root: Path, canonical: CanonicalModel) -> dict[str, SuiteSpec]:
    """Every `expectations/<dataset>.yaml`; the stem must be a canonical dataset."""
    suites = {}
    for path in sorted((root / "expectations").glob("*.yaml")):
        suite = parse(SuiteSpec, read_yaml(path), path)
        if suite.dataset != path.stem:
            raise ConfigError(path, "dataset", f"must equal the file name {path.stem!r}")
        if suite.dataset not in canonical.datasets:
            raise ConfigError(
                path, "dataset", _unknown("dataset", suite.dataset, canonical.datasets)
            )
        columns = canonical.datasets[suite.dataset].columns
        for i, exp in enumerate(suite.expectations):
            for key, value in exp.kwargs.items():
                if key.startswith("column") and isinstance(value, str) and value not in columns:
                    raise ConfigError(
                        path, f"expectations.{i}.kwargs.{key}", _unknown("column", value, columns)
                    )
        suites[suite.dataset] = suite
    return suites


def load_indicators(root: Path, canonical: CanonicalModel) -> dict[str, IndicatorSpec]:
    """Every `assets/indicators/<name>.yaml` with its `<name>.sql`."""
    indicators = {}
    for path in sorted((root / "assets" / "indicators").glob("*.yaml")):
        data = read_yaml(path)
        spec = parse(IndicatorSpec, data, path)
        for dataset in spec.depends_on:
            if dataset not in canonical.datasets:
                raise ConfigError(
                    path, "depends_on", _unknown("dataset", dataset, canonical.datasets)
                )
        sql = read_sql(path.with_suffix(".sql"), "", path)
        indicators[path.stem] = spec.model_copy(update={"name": path.stem, "sql": sql})
    return indicators


def load_catalog(settings: Settings) -> Catalog:
    """The project's own declarative files; any problem is a ConfigError."""
    canonical = load_canonical(settings.root)
    return Catalog(
        canonical=canonical,
        profiles=load_profiles(settings.root, canonical),
        suites=load_suites(settings.root, canonical),
        indicators=load_indicators(settings.root, canonical),
        macros=load_macros(settings.root),
        root=settings.root,
    )


def load_macros(root: Path) -> tuple[str, ...]:
    """The SQL of `assets/macros/*.sql` (DuckDB macros shared by indicators), in name order."""
    return tuple(
        p.read_text(encoding="utf-8") for p in sorted((root / "assets" / "macros").glob("*.sql"))
    )


def load_client(path: Path, catalog: Catalog) -> ClientSpec:
    """One client file, checked against the catalog (profiles, indicators, mapping kinds)."""
    data = read_yaml(path)
    try:
        slug = slugify(path.stem)
    except ValueError as exc:
        raise ConfigError(path, "", f"file name: {exc}") from None
    client = parse(ClientSpec, data, path)
    for name, source in client.sources.items():
        if source.profile not in catalog.profiles:
            raise ConfigError(
                path,
                f"sources.{name}.profile",
                _unknown("ERP profile", source.profile, catalog.profiles),
            )
    for i, indicator in enumerate(client.indicators):
        if indicator not in catalog.indicators:
            raise ConfigError(
                path, f"indicators.{i}", _unknown("indicator", indicator, catalog.indicators)
            )
    _check_mapping_kinds(client.mappings, catalog.canonical, path)
    queries = {}
    for dataset, override in client.datasets.items():
        if dataset not in catalog.canonical.datasets:
            raise ConfigError(
                path,
                f"datasets.{dataset}",
                _unknown("dataset", dataset, catalog.canonical.datasets),
            )
        if override.query:
            queries[dataset] = read_sql(
                path.parent / override.query, f"datasets.{dataset}.query", path
            )
    return client.model_copy(update={"slug": slug, "file": str(path), "queries": queries})


def load_clients(settings: Settings, catalog: Catalog) -> ClientLoad:
    """Every client file; a broken one is reported and never hides the others."""
    result = ClientLoad()
    paths = sorted(settings.clients_dir.glob("*.yaml")) + sorted(settings.clients_dir.glob("*.yml"))
    for path in paths:
        key = _safe_slug(path.stem)
        try:
            client = load_client(path, catalog)
        except ConfigError as exc:
            result.errors[key] = exc
            continue
        if any(c.slug == client.slug for c in result.clients):
            result.errors[key + "_duplicate"] = ConfigError(
                path, "", f"another client file has the slug {client.slug!r}"
            )
            continue
        result.clients.append(client)
    return result


def _safe_slug(stem: str) -> str:
    try:
        return slugify(stem)
    except ValueError:
        return "unnamed_client"


def _check_mapping_kinds(mappings: dict[str, Any], canonical: CanonicalModel, path: Path) -> None:
    """Every mapping kind exists, and maps only to values its canonical columns allow."""
    domains: dict[str, set[str] | None] = {}
    for column in (c for d in canonical.datasets.values() for c in d.columns.values() if c.map):
        domains[column.map] = set(column.values) if column.values else None
    for kind, codes in mappings.items():
        if kind not in domains:
            raise ConfigError(path, f"mappings.{kind}", _unknown("mapping kind", kind, domains))
        allowed = domains[kind]
        for code, value in (codes or {}).items():
            if allowed is not None and value not in allowed:
                raise ConfigError(
                    path,
                    f"mappings.{kind}.{code}",
                    f"{value!r} is not a canonical value; allowed: {', '.join(sorted(allowed))}",
                )


def _unknown(what: str, name: str, known: Any) -> str:
    return f"unknown {what} {name!r}; known: {', '.join(sorted(known))}"
