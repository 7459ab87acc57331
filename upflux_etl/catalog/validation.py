"""One validation of the whole project: every declarative file, cross-checked.

`upflux validate`, `upflux run` (before it touches a source) and the Dagster definitions call
`validate_project`; what it accepts, a load does not reject for a reason it could have seen.
Great Expectations is not imported: expectation types are checked against the generated
`expectation_types.json` (see `catalog.expectation_types`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from upflux_etl.catalog.client_problems import client_options_problems
from upflux_etl.catalog.clients import client_datasets, dataset_source
from upflux_etl.catalog.corrections import correction_problems
from upflux_etl.catalog.errors import ConfigError, ConfigProblems
from upflux_etl.catalog.models import MIN_KEY_LENGTH, ClientSpec, slugify
from upflux_etl.catalog.reader import (
    Catalog,
    ClientLoad,
    mapping_problems,
    read_catalog,
    read_clients,
    unknown,
)
from upflux_etl.catalog.yaml_files import YamlDoc
from upflux_etl.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass(frozen=True)
class ProjectValidation:
    """What validating the project found.

    Attributes:
        catalog: the catalog, None when a project file is broken.
        clients: the client files with no problem.
        problems: every problem, project files first, then client files in name order.
        client_errors: client slug -> its file's problems.
    """

    catalog: Catalog | None
    clients: list[ClientSpec] = field(default_factory=list)
    problems: list[ConfigError] = field(default_factory=list)
    client_errors: dict[str, ConfigProblems] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No problem anywhere."""
        return not self.problems


def validate_project(
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    check_environment: bool = True,
) -> ProjectValidation:
    """Read and cross-check every declarative file; never stops at the first problem.

    Args:
        settings: where the files are.
        environ: the environment the loads will run in (default `os.environ`).
        check_environment: also check that every variable a client file names is set.
            The Dagster definitions pass False: with a remote run launcher the secrets live
            in the run's own environment, not in the code server's.
    """
    try:
        catalog = read_catalog(settings)
    except ConfigProblems as exc:
        return ProjectValidation(catalog=None, problems=list(exc.problems))
    loaded = read_clients(settings, catalog)
    clients, errors = list(loaded.clients), dict(loaded.errors)
    env = (os.environ if environ is None else environ) if check_environment else None
    if env is not None:
        for client in list(clients):
            found = environment_problems(client, env)
            if found:
                clients.remove(client)
                errors[client.slug] = ConfigProblems(found)
    for slug, found in shared_key_problems(clients, env).items():
        clients = [c for c in clients if c.slug != slug]
        errors[slug] = ConfigProblems(found)
    problems = [p for slug in sorted(errors) for p in errors[slug].problems]
    return ProjectValidation(catalog, clients, problems, errors)


def client_load(validation: ProjectValidation) -> ClientLoad:
    """The clients of a validation in the shape the definitions build from."""
    return ClientLoad(clients=validation.clients, errors=validation.client_errors)


def client_problems(client: ClientSpec, catalog: Catalog, doc: YamlDoc) -> list[ConfigError]:
    """Every problem of a parsed client file against the catalog, each with its line."""
    return [
        *_source_problems(client, catalog, doc),
        *mapping_problems(client.mappings, catalog.canonical, doc),
        *_dataset_problems(client, catalog, doc),
        *_indicator_problems(client, catalog, doc),
        *correction_problems(client, catalog.canonical, doc),
        *client_options_problems(client, catalog, doc),
        *_reference_model_problems(client, catalog, doc),
        *_key_problems(client, doc),
    ]


def _key_problems(client: ClientSpec, doc: YamlDoc) -> Iterator[ConfigError]:
    if not client.pseudonymisation.key_env:
        yield doc.error(
            "pseudonymisation.key_env",
            "required: the environment variable holding this hospital's own pseudonymisation "
            f"key, e.g. {{key_env: UPFLUX_PSEUDONYM_KEY_{client.slug.upper()}}} "
            "(docs/OPERATIONS.md)",
        )


def environment_problems(client: ClientSpec, environ: Mapping[str, str]) -> list[ConfigError]:
    """The variables the client file names are set (their values are never shown)."""
    found = []
    for name, source in client.sources.items():
        if source.url_env and not environ.get(source.url_env):
            found.append(
                ConfigError(
                    client.file,
                    f"sources.{name}.url_env",
                    f"environment variable {source.url_env} is not set (it holds the source's URL)",
                )
            )
        if source.password_env and not environ.get(source.password_env):
            found.append(
                ConfigError(
                    client.file,
                    f"sources.{name}.password_env",
                    f"environment variable {source.password_env} is not set (it holds the "
                    "source's password)",
                )
            )
    env = client.pseudonymisation.key_env
    key = environ.get(env) if env else None  # an undeclared variable is the file's problem
    if env and not key:
        found.append(
            ConfigError(
                client.file,
                "pseudonymisation.key_env",
                f"environment variable {env} is not set (it holds the pseudonymisation key; "
                "`make demo` writes a demo key to .env)",
            )
        )
    elif key and len(key) < MIN_KEY_LENGTH:
        found.append(
            ConfigError(
                client.file,
                "pseudonymisation.key_env",
                f"{env}: the pseudonymisation key must have at least {MIN_KEY_LENGTH} characters",
            )
        )
    return found


def shared_key_problems(
    clients: list[ClientSpec], environ: Mapping[str, str] | None
) -> dict[str, list[ConfigError]]:
    """Clients that would share a pseudonymisation key without both files declaring it.

    Two clients naming the same variable share its key; with `environ`, two variables holding
    the same key do too (values compared in memory, never shown). Sharing links the pseudonyms
    of both hospitals: it is allowed only when each lists the other in `shared_with`.

    Returns:
        client slug -> its problems (both clients of a pair are named).
    """
    found: dict[str, list[ConfigError]] = {}
    for i, a in enumerate(clients):
        for b in clients[i + 1 :]:
            how = _shared_how(a, b, environ)
            if how is None or (_declares(a, b) and _declares(b, a)):
                continue
            for one, other in ((a, b), (b, a)):
                found.setdefault(one.slug, []).append(
                    ConfigError(
                        one.file,
                        "pseudonymisation.key_env",
                        f"{how} as {other.file}: the two hospitals' pseudonyms would link. "
                        "Give each hospital its own key, or, for hospitals that must share "
                        "patients, name each other in pseudonymisation.shared_with in both files",
                    )
                )
    return found


def _shared_how(a: ClientSpec, b: ClientSpec, environ: Mapping[str, str] | None) -> str | None:
    env_a, env_b = a.pseudonymisation.key_env, b.pseudonymisation.key_env
    if env_a == env_b:
        return f"the key variable {env_a} is the same"
    if environ is not None and environ.get(env_a) and environ.get(env_a) == environ.get(env_b):
        return f"the key in {env_a} is the same as the key in {env_b}"
    return None


def _declares(client: ClientSpec, other: ClientSpec) -> bool:
    return other.slug in {slugify(s) for s in client.pseudonymisation.shared_with}


def _source_problems(client: ClientSpec, catalog: Catalog, doc: YamlDoc) -> Iterator[ConfigError]:
    kinds = sorted({d.source for d in catalog.canonical.datasets.values()})
    for name, source in client.sources.items():
        if source.profile is None:
            continue  # a profile-free source may have any name (client_options_problems)
        if name not in kinds:
            yield doc.error(
                f"sources.{name}",
                f"unknown source {name!r}: datasets are read from {', '.join(kinds)} "
                "(connectors/canonical.yaml, datasets.*.source)",
            )
            continue
        profile = catalog.profiles.get(source.profile)
        if profile is None:
            yield doc.error(
                f"sources.{name}.profile", unknown("ERP profile", source.profile, catalog.profiles)
            )
        elif profile.source != name:
            yield doc.error(
                f"sources.{name}.profile",
                f"profile {source.profile!r} serves the {profile.source!r} source, not {name!r}",
            )


def _dataset_problems(client: ClientSpec, catalog: Catalog, doc: YamlDoc) -> Iterator[ConfigError]:
    datasets = catalog.canonical.datasets
    for name, override in client.datasets.items():
        where = f"datasets.{name}"
        if name not in datasets:
            yield doc.error(where, unknown("dataset", name, datasets))
        elif (override.query or override.sql) and (
            dataset_source(client, datasets[name]) not in client.sources
        ):
            field_name = "source" if override.source else ("sql" if override.sql else "query")
            yield doc.error(
                f"{where}.{field_name}",
                f"{name} is read from the {dataset_source(client, datasets[name])!r} source, "
                "which this client does not declare under sources",
            )
    for source_name, source in client.sources.items():
        profile = catalog.profiles.get(source.profile) if source.profile else None
        if profile is None or profile.source != source_name:
            continue
        for name in profile.datasets:
            own = client.datasets.get(name)
            if name in profile.queries or (own and (own.query or not own.enabled)):
                continue
            yield doc.error(
                f"datasets.{name}",
                f"profile {profile.name!r} has no standard query for {name}: give this client's "
                f"own (datasets.{name}.query) or switch it off (datasets.{name}.enabled: false)",
            )


def _indicator_problems(
    client: ClientSpec, catalog: Catalog, doc: YamlDoc
) -> Iterator[ConfigError]:
    loaded = set(client_datasets(client, catalog)) if _sources_known(client, catalog) else None
    for i, name in enumerate(client.indicators):
        spec = catalog.indicators.get(name)
        if spec is None:
            yield doc.error(f"indicators.{i}", unknown("indicator", name, catalog.indicators))
            continue
        if loaded is None:
            continue
        missing = [d for d in spec.depends_on if d not in loaded]
        if not missing:
            continue
        off = [d for d in missing if d in client.datasets and not client.datasets[d].enabled]
        why = (
            "switched off here (" + ", ".join(f"datasets.{d}.enabled: false" for d in off) + ")"
            if off
            else "that no source of this client provides"
        )
        yield doc.error(f"indicators.{i}", f"{name} needs datasets {missing} {why}")


def _reference_model_problems(
    client: ClientSpec, catalog: Catalog, doc: YamlDoc
) -> Iterator[ConfigError]:
    name = client.reference_model
    if name is None:
        return
    models = catalog.root / "assets" / "reference_models"
    if not (models / f"{name}.bpmn").is_file():
        known = sorted(p.stem for p in models.glob("*.bpmn"))
        yield doc.error(
            "reference_model",
            f"no assets/reference_models/{name}.bpmn; known: {', '.join(known) or 'none'} "
            "(null: no conformance)",
        )


def _sources_known(client: ClientSpec, catalog: Catalog) -> bool:
    return all(s.profile is None or s.profile in catalog.profiles for s in client.sources.values())
