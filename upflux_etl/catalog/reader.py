"""Reads the declarative files into typed models: the one place that does config file I/O.

Every reader collects every problem of its files (file, field, line) before it gives up, so
`upflux validate` reports them all in one pass; `catalog.validation` adds the checks that
need several files at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from upflux_etl.catalog.checklist import Rounds
from upflux_etl.catalog.checks import suite_expectations
from upflux_etl.catalog.errors import ConfigError, ConfigProblems, Problems
from upflux_etl.catalog.expectation_types import check_expectation
from upflux_etl.catalog.health import HealthConfig
from upflux_etl.catalog.models import (
    CanonicalModel,
    ClientSpec,
    ExpectationSpec,
    IndicatorSetSpec,
    IndicatorSpec,
    PrivacySpec,
    ProfileSpec,
    SuiteSpec,
    slugify,
)
from upflux_etl.catalog.yaml_files import YamlDoc, read_yaml
from upflux_etl.settings import Settings

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Catalog:
    """Everything the project declares, independent of any client."""

    canonical: CanonicalModel
    profiles: dict[str, ProfileSpec]
    suites: dict[str, SuiteSpec]
    checks: dict[str, list[ExpectationSpec]]
    indicators: dict[str, IndicatorSpec]
    indicator_sets: dict[str, IndicatorSetSpec]
    macros: tuple[str, ...]
    health: HealthConfig
    rounds: Rounds
    root: Path


@dataclass(frozen=True)
class ClientLoad:
    """The valid clients, and the problems of each client file that is not."""

    clients: list[ClientSpec] = field(default_factory=list)
    errors: dict[str, ConfigProblems] = field(default_factory=dict)


def parse(model: type[M], doc: YamlDoc) -> M:
    """Validate a YAML document as `model`.

    Raises:
        ConfigProblems: every problem pydantic finds, each with its field path and line.
    """
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigProblems(_problem(doc, err) for err in exc.errors()) from None


def read_model(model: type[M], path: Path) -> M:
    """A YAML file validated as `model` (ConfigError/ConfigProblems otherwise)."""
    return parse(model, read_yaml(path))


def read_sql(path: Path, doc: YamlDoc, field_name: str) -> str:
    """The text of a query file, or a ConfigError naming the file that points to it."""
    if not path.is_file():
        raise doc.error(field_name, f"query file {path} not found")
    return path.read_text(encoding="utf-8")


def read_canonical(root: Path) -> CanonicalModel:
    """`connectors/canonical.yaml`: the canonical datasets."""
    doc = read_yaml(root / "connectors" / "canonical.yaml")
    canonical = parse(CanonicalModel, doc)
    problems = Problems()
    for name, dataset in canonical.datasets.items():
        if not dataset.label:
            problems.add(doc.error(f"datasets.{name}", "label: the Portuguese name is required"))
        for column, spec in dataset.columns.items():
            if spec.references:
                where = f"datasets.{name}.columns.{column}.references"
                _check_column_ref(spec.references, canonical, doc, where, problems)
    problems.raise_if_any()
    return canonical


def read_profiles(
    root: Path, canonical: CanonicalModel, problems: Problems
) -> dict[str, ProfileSpec]:
    """Every `connectors/<erp>/profile.yaml` with its query files; problems are collected."""
    profiles = {}
    for path in sorted((root / "connectors").glob("*/profile.yaml")):
        try:
            profiles[path.parent.name] = _read_profile(path, canonical)
        except ConfigError as exc:
            problems.add(exc)
    return profiles


def read_suites(
    root: Path, canonical: CanonicalModel, problems: Problems
) -> tuple[dict[str, SuiteSpec], dict[str, list[ExpectationSpec]]]:
    """Every `expectations/<dataset>.yaml`, and every dataset's checks (generated + suite)."""
    suites = {}
    for path in sorted((root / "expectations").glob("*.yaml")):
        try:
            suites[path.stem] = _read_suite(path, canonical)
        except ConfigError as exc:
            problems.add(exc)
    checks = {}
    labels = {name: d.label for name, d in canonical.datasets.items()}
    for name, dataset in canonical.datasets.items():
        path = root / "expectations" / f"{name}.yaml"
        try:
            checks[name] = suite_expectations(dataset, suites.get(name), path, labels)
        except ConfigError as exc:
            problems.add(exc)
    return suites, checks


def read_indicators(
    root: Path, canonical: CanonicalModel, problems: Problems
) -> dict[str, IndicatorSpec]:
    """Every `assets/indicators/<name>.yaml` with its `<name>.sql`."""
    indicators = {}
    for path in sorted((root / "assets" / "indicators").glob("*.yaml")):
        try:
            doc = read_yaml(path)
            spec = parse(IndicatorSpec, doc)
            for i, dataset in enumerate(spec.depends_on):
                if dataset not in canonical.datasets:
                    raise doc.error(
                        f"depends_on.{i}", unknown("dataset", dataset, canonical.datasets)
                    )
            _check_coverage(spec, canonical, doc)
            _check_periods(spec, canonical, doc)
            sql = read_sql(path.with_suffix(".sql"), doc, "")
        except ConfigError as exc:
            problems.add(exc)
            continue
        indicators[path.stem] = spec.model_copy(update={"name": path.stem, "sql": sql})
    return indicators


def read_indicator_sets(
    root: Path, indicators: dict[str, IndicatorSpec], problems: Problems
) -> dict[str, IndicatorSetSpec]:
    """Every `assets/indicator_sets/<name>.yaml`; a computable item names a real indicator."""
    sets = {}
    for path in sorted((root / "assets" / "indicator_sets").glob("*.yaml")):
        try:
            doc = read_yaml(path)
            spec = parse(IndicatorSetSpec, doc)
            for i, item in enumerate(spec.items):
                if item.computable and item.indicator not in indicators:
                    raise doc.error(
                        f"items.{i}.indicator",
                        unknown("indicator", str(item.indicator), indicators),
                    )
                if not item.computable and not item.why:
                    raise doc.error(f"items.{i}.why", "say why it cannot be computed")
        except ConfigError as exc:
            problems.add(exc)
            continue
        sets[path.stem] = spec.model_copy(update={"name": path.stem})
    return sets


def _check_coverage(spec: IndicatorSpec, canonical: CanonicalModel, doc: YamlDoc) -> None:
    """An indicator's coverage names one of its datasets and real columns of it."""
    coverage = spec.coverage
    if coverage.dataset not in spec.depends_on:
        raise doc.error("coverage.dataset", f"{coverage.dataset!r} is not in depends_on")
    columns = canonical.datasets[coverage.dataset].columns
    for i, column in enumerate([coverage.period_column, *coverage.columns]):
        if column not in columns:
            where = "coverage.period_column" if i == 0 else f"coverage.columns.{i - 1}"
            raise doc.error(where, unknown("column", column, columns))


def _check_periods(spec: IndicatorSpec, canonical: CanonicalModel, doc: YamlDoc) -> None:
    """An indicator's periods name its datasets and real columns of them."""
    if spec.periods is None:
        return

    def dataset(where: str, name: str) -> dict:
        if name not in spec.depends_on:
            raise doc.error(where, f"{name!r} is not in depends_on")
        return canonical.datasets[name].columns

    def column(where: str, name: str, columns: dict, of: str) -> None:
        if name not in columns:
            raise doc.error(where, unknown(f"column of {of}", name, columns))

    for i, rows in enumerate(spec.periods.rows):
        at = f"periods.rows.{i}"
        own = dataset(f"{at}.dataset", rows.dataset)
        reached, of = own, rows.dataset
        if rows.through is not None and rows.key is not None:
            reached, of = dataset(f"{at}.through", rows.through), rows.through
            column(f"{at}.key", rows.key, own, rows.dataset)
            column(f"{at}.key", rows.key, reached, rows.through)
        for j, name in enumerate(rows.columns):
            column(f"{at}.columns.{j}", name, reached, of)
    for i, bound in enumerate(spec.periods.bounds):
        at = f"periods.bounds.{i}"
        column(f"{at}.column", bound.column, dataset(f"{at}.dataset", bound.dataset), bound.dataset)


def read_macros(root: Path) -> tuple[str, ...]:
    """The SQL of `assets/macros/*.sql` (DuckDB macros shared by indicators), in name order."""
    return tuple(
        p.read_text(encoding="utf-8") for p in sorted((root / "assets" / "macros").glob("*.sql"))
    )


def read_health(root: Path) -> HealthConfig:
    """`assets/health/score.yaml`: weights, bands and thresholds of the health score."""
    return read_model(HealthConfig, root / "assets" / "health" / "score.yaml")


def read_rounds(root: Path) -> Rounds:
    """`assets/checklist/rounds.yaml`: the Round 1-3 implementation checklist."""
    return read_model(Rounds, root / "assets" / "checklist" / "rounds.yaml")


def read_catalog(settings: Settings) -> Catalog:
    """The project's own declarative files, each read and cross-checked.

    Raises:
        ConfigProblems: every problem of every project file (clients are read apart).
    """
    root = settings.root
    problems = Problems()
    try:
        canonical = read_canonical(root)
    except ConfigError as exc:
        problems.add(exc)
        problems.raise_if_any()
    profiles = read_profiles(root, canonical, problems)
    suites, checks = read_suites(root, canonical, problems)
    indicators = read_indicators(root, canonical, problems)
    health = _collect(problems, read_health, root)
    rounds = _collect(problems, read_rounds, root)
    problems.raise_if_any()
    return Catalog(
        canonical=canonical,
        profiles=profiles,
        suites=suites,
        checks=checks,
        indicators=indicators,
        indicator_sets=read_indicator_sets(root, indicators, problems),
        macros=read_macros(root),
        health=health,
        rounds=rounds,
        root=root,
    )


def read_client(path: Path, catalog: Catalog) -> ClientSpec:
    """One client file, checked against the catalog (see `catalog.validation.client_problems`).

    Raises:
        ConfigProblems: every problem of the file, each with its field and line.
    """
    # Imported here: validation reads the catalog's models, and the catalog reads clients.
    from upflux_etl.catalog.validation import client_problems

    doc = read_yaml(path)
    try:
        slug = slugify(path.stem)
    except ValueError as exc:
        raise ConfigError(path, "", f"file name: {exc}") from None
    client = parse(ClientSpec, doc)
    problems = Problems()
    queries = {}
    for dataset, override in client.datasets.items():
        if override.sql and dataset in catalog.canonical.datasets:
            queries[dataset] = override.sql
        elif override.query and dataset in catalog.canonical.datasets:
            try:
                queries[dataset] = read_sql(
                    path.parent / override.query, doc, f"datasets.{dataset}.query"
                )
            except ConfigError as exc:
                problems.add(exc)
    client = client.model_copy(
        update={
            "slug": slug,
            "file": str(path),
            "queries": queries,
            "privacy": _with_excluded_ids(client, path, doc, problems),
        }
    )
    for problem in client_problems(client, catalog, doc):
        problems.add(problem)
    problems.raise_if_any()
    return client


def _with_excluded_ids(
    client: ClientSpec, path: Path, doc: YamlDoc, problems: Problems
) -> PrivacySpec:
    """The client's excluded patient ids: its list plus the file it names (one id a line)."""
    privacy = client.privacy
    ids = [i.strip() for i in privacy.exclude_patients if i.strip()]
    if privacy.exclude_patients_file:
        file = path.parent / privacy.exclude_patients_file
        if not file.is_file():
            problems.add(doc.error("privacy.exclude_patients_file", f"file {file} not found"))
        else:
            lines = file.read_text(encoding="utf-8").splitlines()
            ids += [t for t in (line.split("#", 1)[0].strip() for line in lines) if t]
    return privacy.model_copy(update={"excluded_ids": tuple(dict.fromkeys(ids))})


def read_clients(settings: Settings, catalog: Catalog) -> ClientLoad:
    """Every client file; a broken one is reported and never hides the others."""
    result = ClientLoad()
    paths = sorted(settings.clients_dir.glob("*.yaml")) + sorted(settings.clients_dir.glob("*.yml"))
    for path in paths:
        key = _safe_slug(path.stem)
        try:
            client = read_client(path, catalog)
        except ConfigError as exc:
            result.errors[key] = exc if isinstance(exc, ConfigProblems) else ConfigProblems([exc])
            continue
        if any(c.slug == client.slug for c in result.clients):
            result.errors[key + "_duplicate"] = ConfigProblems(
                [ConfigError(path, "", f"another client file has the slug {client.slug!r}")]
            )
            continue
        result.clients.append(client)
    return result


def _read_profile(path: Path, canonical: CanonicalModel) -> ProfileSpec:
    doc = read_yaml(path)
    profile = parse(ProfileSpec, doc)
    problems = Problems()
    if profile.name != path.parent.name:
        problems.add(doc.error("name", f"must equal the folder name {path.parent.name!r}"))
    queries = {}
    kinds = set()
    for dataset, rel in profile.datasets.items():
        where = f"datasets.{dataset}"
        if dataset not in canonical.datasets:
            problems.add(doc.error(where, unknown("dataset", dataset, canonical.datasets)))
            continue
        kinds.add(canonical.datasets[dataset].source)
        if rel is None:
            continue
        try:
            queries[dataset] = read_sql(path.parent / rel, doc, where)
        except ConfigError as exc:
            problems.add(exc)
    if len(kinds) > 1:
        problems.add(
            doc.error(
                "datasets",
                f"mixes datasets read from different sources ({', '.join(sorted(kinds))}; "
                "connectors/canonical.yaml datasets.*.source): one profile serves one source",
            )
        )
    for problem in mapping_problems(profile.mappings, canonical, doc):
        problems.add(problem)
    problems.raise_if_any()
    source = kinds.pop() if kinds else "erp"
    return profile.model_copy(update={"queries": queries, "source": source})


def _read_suite(path: Path, canonical: CanonicalModel) -> SuiteSpec:
    doc = read_yaml(path)
    suite = parse(SuiteSpec, doc)
    if suite.dataset != path.stem:
        raise doc.error("dataset", f"must equal the file name {path.stem!r}")
    if suite.dataset not in canonical.datasets:
        raise doc.error("dataset", unknown("dataset", suite.dataset, canonical.datasets))
    check_suite(suite, doc, canonical)
    return suite


def check_suite(
    suite: SuiteSpec, where: YamlDoc | Path | str, canonical: CanonicalModel | None = None
) -> None:
    """Every expectation of a suite is one Great Expectations would run, on real columns.

    Args:
        suite: the suite.
        where: its YAML document (for lines), or just its path.
        canonical: when given, columns and `value_set_from` must be canonical columns.

    Raises:
        ConfigProblems: every problem, naming `expectations.<i>.<field>`.
    """
    doc = where if isinstance(where, YamlDoc) else YamlDoc(Path(where), {})
    problems = Problems()
    dataset = canonical.datasets.get(suite.dataset) if canonical else None
    for i, exp in enumerate(suite.expectations):
        at = f"expectations.{i}"
        for key, value in exp.kwargs.items():
            if dataset and key.startswith("column") and isinstance(value, str):
                if value not in dataset.columns:
                    problems.add(
                        doc.error(f"{at}.kwargs.{key}", unknown("column", value, dataset.columns))
                    )
        found = check_expectation(exp)
        for field_name, message in found:
            problems.add(doc.error(f"{at}.{field_name}", message))
        if exp.value_set_from and canonical and all(f != "value_set_from" for f, _ in found):
            _check_column_ref(exp.value_set_from, canonical, doc, f"{at}.value_set_from", problems)
    problems.raise_if_any()


def _check_column_ref(
    ref: str, canonical: CanonicalModel, doc: YamlDoc, where: str, problems: Problems
) -> None:
    """`ref` is `<dataset>.<column>` of the canonical model."""
    dataset, _, column = ref.partition(".")
    if not column:
        problems.add(doc.error(where, f"{ref!r} must be <dataset>.<column>"))
    elif dataset not in canonical.datasets:
        problems.add(doc.error(where, unknown("dataset", dataset, canonical.datasets)))
    elif column not in canonical.datasets[dataset].columns:
        known = canonical.datasets[dataset].columns
        problems.add(
            doc.error(where, f"{dataset!r} has no column {column!r}; known: {', '.join(known)}")
        )


def mapping_problems(
    mappings: dict[str, Any], canonical: CanonicalModel, doc: YamlDoc
) -> list[ConfigError]:
    """Every mapping kind exists, and maps only to values its canonical columns allow."""
    domains: dict[str, set[str] | None] = {}
    for column in (c for d in canonical.datasets.values() for c in d.columns.values()):
        if column.map:
            domains[column.map] = set(column.values) if column.values else None
    found = []
    for kind, codes in mappings.items():
        if kind not in domains:
            found.append(doc.error(f"mappings.{kind}", unknown("mapping kind", kind, domains)))
            continue
        allowed = domains[kind]
        for code, value in (codes or {}).items():
            if allowed is not None and value not in allowed:
                found.append(
                    doc.error(
                        f"mappings.{kind}.{code}",
                        f"{value!r} is not a canonical value; allowed: {', '.join(sorted(allowed))}",
                    )
                )
    return found


def _collect(problems: Problems, reader: Any, root: Path) -> Any:
    try:
        return reader(root)
    except ConfigError as exc:
        problems.add(exc)
        return None


def _problem(doc: YamlDoc, err: Any) -> ConfigError:
    loc = ".".join(str(p) for p in err["loc"] if p not in ("function-after",))
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key (is it a typo?)"
    return doc.error(loc, msg)


def _safe_slug(stem: str) -> str:
    try:
        return slugify(stem)
    except ValueError:
        return "unnamed_client"


def unknown(what: str, name: str, known: Any) -> str:
    """The message for an unknown name: "unknown <what> '<name>'; known: a, b, c"."""
    return f"unknown {what} {name!r}; known: {', '.join(sorted(known))}"
