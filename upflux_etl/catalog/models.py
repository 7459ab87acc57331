"""Typed models of the declarative files (pure: dicts in, validated models out)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from upflux_etl.catalog.client_options import (
    CheckSetting,
    CodeSystems,
    EstablishmentFilter,
    LocalTimes,
)

ColumnType = Literal[
    "string", "integer", "double", "decimal", "boolean", "timestamp", "date", "time"
]

# DuckDB types of the canonical column types.
DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "double": "DOUBLE",
    "decimal": "DECIMAL(18,2)",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    "time": "TIME",
}


class Strict(BaseModel):
    """Unknown keys are errors: a typo in a file must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def slugify(text: str) -> str:
    """A name usable in asset keys and file names ("Hospital São José-Norte" -> "hospital_sao_jose_norte")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if not slug:
        raise ValueError(f"{text!r} has no letter or digit to name it by")
    return slug if slug[0].isalpha() else f"h_{slug}"


# --- canonical model (connectors/canonical.yaml) ---------------------------------------


class ColumnSpec(Strict):
    """One canonical column."""

    type: ColumnType
    required: bool = False
    pii: Literal["pseudonym"] | None = None
    validate_: Literal["cpf", "cns"] | None = Field(default=None, alias="validate")
    map: str | None = None
    values: list[str] | None = None
    references: str | None = None
    description: str = ""


class DatasetSpec(Strict):
    """One canonical dataset: its grain, key and columns."""

    name: str = ""
    label: str = ""  # required in canonical.yaml (checked by the reader)
    description: str
    min_rows: int = Field(default=1, ge=0)
    min_rows_blocking: bool = True
    primary_key: list[str]
    incremental_column: str
    event_column: str | None = None
    source: str = "erp"
    columns: dict[str, ColumnSpec]

    @model_validator(mode="after")
    def _keys_are_columns(self) -> DatasetSpec:
        for key in [*self.primary_key, self.incremental_column, *filter(None, [self.event_column])]:
            if key not in self.columns:
                raise ValueError(f"{key!r} is not one of the dataset's columns")
        return self

    @property
    def mapped_kinds(self) -> set[str]:
        """The code-mapping kinds its columns are mapped through (`map:`)."""
        return {column.map for column in self.columns.values() if column.map}


class CanonicalModel(Strict):
    """Every canonical dataset, by name."""

    datasets: dict[str, DatasetSpec]

    @model_validator(mode="after")
    def _name_datasets(self) -> CanonicalModel:
        for name, spec in self.datasets.items():
            object.__setattr__(spec, "name", name)
        return self


# --- ERP profiles (connectors/<erp>/profile.yaml) --------------------------------------


class ProfileSpec(Strict):
    """An ERP profile: its standard queries and the ERP's standard code mappings."""

    name: str
    description: str = ""
    dialect: str = "postgres"
    # dataset -> query file; null: the ERP has no standard query, each client gives its own
    # (`datasets.<dataset>.query`) or switches the dataset off.
    datasets: dict[str, str | None]
    mappings: dict[str, dict[str, str]] = {}
    # source table -> its establishment column, for hospital groups sharing one database.
    establishment_columns: dict[str, str] = {}
    queries: dict[str, str] = Field(default_factory=dict, exclude=True)
    source: str = Field(default="erp", exclude=True)


# --- clients (clients/<stem>.yaml) -----------------------------------------------------


# A password inside an ODBC connection string ("...;PWD=...").
_ODBC_PASSWORD = re.compile(r"(?i)(^|[;/])\s*(pwd|password)\s*=")


# deploy/dagster.yaml holds one tag concurrency limit per value 1..MAX_CONCURRENT_QUERIES.
MAX_CONCURRENT_QUERIES = 4


class RetrySpec(Strict):
    """How a dataset's failed extraction is retried: transient errors only, backoff with jitter."""

    attempts: int = Field(default=3, ge=1, le=10)
    backoff_s: float = Field(default=2.0, ge=0)
    max_backoff_s: float = Field(default=60.0, ge=0)


# PostgreSQL's names of the encodings ERPs use -> Python codecs.
SOURCE_ENCODINGS = {
    "UTF8": "utf-8",
    "LATIN1": "latin-1",
    "WIN1252": "cp1252",
    "LATIN9": "iso8859-15",
}


class SourceSpec(Strict):
    """A source database of a client."""

    # None: no ERP profile; the client gives every dataset's query itself.
    profile: str | None = None
    # The SQL dialect of the client's own queries (default: the profile's, else the URL's).
    dialect: str | None = None
    establishment: EstablishmentFilter | None = None
    url: str | None = None
    url_env: str | None = None
    # The password alone from the environment, the rest of the URL in the file.
    password_env: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    batch_rows: int = 100_000
    # The encoding of the source's text (LATIN1/WIN1252 ERPs are common); the session asks the
    # server for UTF-8 where it can convert, and decodes with it where it cannot (ODBC).
    encoding: str = "UTF8"
    connect_timeout_s: int = Field(default=15, ge=1, le=600)
    statement_timeout_s: int = Field(default=3600, ge=1)
    retry: RetrySpec = RetrySpec()
    # Runs reading this database at once (the run queue's per-source limit, deploy/dagster.yaml);
    # one: a hospital's ERP serves its own staff first. The yaml has limits up to this bound.
    max_concurrent_queries: int = Field(default=1, ge=1, le=MAX_CONCURRENT_QUERIES)
    # Rows per second one extraction reads from this database, on average (None: no limit):
    # the DBA's window. The extraction waits between batches (`extract/throttle.py`).
    max_rows_per_second: int | None = None

    @field_validator("max_rows_per_second", mode="before")
    @classmethod
    def _positive_rate(cls, value: object) -> object:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value <= 0
        ):
            raise ValueError(
                f"max_rows_per_second must be a whole number of rows above 0, not {value!r} "
                "(leave it out for no limit)"
            )
        return value

    @model_validator(mode="after")
    def _one_url(self) -> SourceSpec:
        if self.encoding.upper() not in SOURCE_ENCODINGS:
            raise ValueError(
                f"encoding {self.encoding!r} is not one of {', '.join(SOURCE_ENCODINGS)}"
            )
        if self.password_env and not self.url:
            raise ValueError("password_env goes with url (a URL without its password)")
        if bool(self.url) == bool(self.url_env):
            raise ValueError(
                "give exactly one of url (no secrets) or url_env (an environment variable)"
            )
        if self.url and (
            re.search(r"://[^/@:]+:[^/@]+@", self.url) or _ODBC_PASSWORD.search(self.url)
        ):
            raise ValueError(
                "url holds a password: put the whole URL in an environment variable (url_env)"
            )
        return self


class ScheduleSpec(Strict):
    """When the client's load runs (a cron expression), and whether the schedule is on."""

    cron: str = "0 2 * * *"
    enabled: bool = False


# Shorter keys are refused: an HMAC key must be long enough to stay secret.
MIN_KEY_LENGTH = 16


class PseudonymisationSpec(Strict):
    """The environment variable that holds the client's own HMAC pseudonymisation key.

    Required: one key per hospital, so pseudonyms never link across hospitals. Hospitals of
    one group that must share pseudonyms share a key only when each names the others in
    `shared_with` (client file stems); docs/OPERATIONS.md says how keys are kept and rotated.
    """

    # "" = not declared: `catalog.validation` refuses the client file, naming the field.
    key_env: str = ""
    shared_with: list[str] = []

    @field_validator("key_env")
    @classmethod
    def _variable_name(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", value):
            raise ValueError(
                f"{value!r} is not an environment variable name (upper case, digits and _, "
                "e.g. UPFLUX_PSEUDONYM_KEY_SAO_LUCAS)"
            )
        return value


class TriageSpec(Strict):
    """The client's ER triage protocol and the target waiting minutes per colour."""

    protocol: str = "manchester"
    targets_minutes: dict[str, int] = {
        "red": 0,
        "orange": 10,
        "yellow": 60,
        "green": 120,
        "blue": 240,
    }


class ExportSpec(Strict):
    """The platform export each publication writes (`warehouse/export.py`)."""

    enabled: bool = True
    keep_loads: int = Field(default=14, ge=1)


class DemoSpec(Strict):
    """How `upflux demo` builds this client's ERP (demo clients only)."""

    seed: int = 42
    beds: int = 200
    months: int = 12
    scale: float = 1.0
    end_date: str | None = None


class DatasetOverride(Strict):
    """A client's own query for one dataset, where it runs, and its columns' text formats.

    `query`: a file relative to the client file, or `sql`: inline; `source`: the client's
    source it runs on (default: the dataset's canonical source); `formats`: column -> format.
    """

    query: str | None = None
    sql: str | None = None
    source: str | None = None
    enabled: bool = True
    formats: dict[str, str] = {}

    @model_validator(mode="after")
    def _one_query(self) -> DatasetOverride:
        if self.query and self.sql:
            raise ValueError("give either query (a file) or sql (inline), not both")
        return self


_EVERY = re.compile(r"^\s*(\d+)\s*(hours?|days?)\s*$")


class DeletesSpec(Strict):
    """How often rows deleted at the source are looked for (a keys-only comparison).

    `every`: "load" (the default: every load) or "<n> hours" / "<n> days"; `enabled: false`
    switches the comparison off (deleted rows then stay until a full load). `every_key`: how
    often an incremental load's comparison reads every key of the source ("7 days" by
    default; "load": always); in between, a dataset with one text key that is not
    pseudonymised compares row counts per bucket of the key (its last characters) and reads
    the keys of the differing buckets only.
    """

    every: str = "load"
    every_key: str = "7 days"
    enabled: bool = True
    # A comparison that would remove more than this share of the keys is not applied.
    max_share: float = Field(default=0.5, gt=0, le=1)

    @field_validator("every", "every_key")
    @classmethod
    def _known_interval(cls, value: str) -> str:
        if value.strip() != "load" and not _EVERY.match(value):
            raise ValueError(f"{value!r}: expected 'load', '<n> hours' or '<n> days'")
        return value.strip()

    @property
    def interval_hours(self) -> float:
        """Hours between two comparisons (0: every load)."""
        return _hours(self.every)

    @property
    def every_key_hours(self) -> float:
        """Hours between two comparisons of every key (0: every comparison)."""
        return _hours(self.every_key)


def _hours(every: str) -> float:
    """Hours of "<n> hours" / "<n> days" (0 for "load")."""
    match = _EVERY.match(every)
    if not match:
        return 0.0
    n = int(match.group(1))
    return float(n * 24 if match.group(2).startswith("day") else n)


class HistorySpec(Strict):
    """The first historical load (`upflux run CLIENT --history`), cut into periods.

    `since`: its first day; `period`: month, quarter or year (one published load each).
    The command line's --since and --period win over these.
    """

    since: dt.date | None = None
    period: Literal["month", "quarter", "year"] = "month"


class RetentionSpec(Strict):
    """Days kept of a hospital's builds and quality reports (applied at each publication).

    Exports are kept by count: `export.keep_loads`.
    """

    builds_days: int = Field(default=1, ge=1)
    reports_days: int = Field(default=365, ge=1)


class PrivacySpec(Strict):
    """Patients whose data the hospital excludes, by source patient id (the prontuario).

    `exclude_patients` lists ids; `exclude_patients_file` names a text file (one id a line,
    relative to the client file). The ids are pseudonymised with the client's key at each load
    and never stored; the clear ids are in `excluded_ids` (read by the catalog, never dumped).
    """

    exclude_patients: list[str] = []
    exclude_patients_file: str | None = None
    excluded_ids: tuple[str, ...] = Field(default=(), exclude=True)

    @field_validator("exclude_patients", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value


class CorrectionSpec(Strict):
    """A declared correction: which rows of a dataset, what change, why, who, until when.

    Applied by the pipeline after staging, on every load until `until` (inclusive, in the
    hospital's zone); checked by `catalog.corrections` (columns, values, condition).
    """

    id: str
    dataset: str
    where: str | None = None  # a SQL condition on the staged columns (and `<col>_code`)
    keys: list[str] | None = None  # or the values of a one-column primary key
    set_: dict[str, str | int | float | bool | None] = Field(alias="set")
    reason: str = Field(min_length=1)
    requested_by: str = Field(min_length=1)
    until: dt.date

    @field_validator("keys", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _one_selector(self) -> CorrectionSpec:
        if (self.where is None) == (self.keys is None):
            raise ValueError("give exactly one of `where` (a condition) or `keys` (a key list)")
        if not self.set_:
            raise ValueError("`set` names at least one column to change")
        return self


class ClientSpec(Strict):
    """One hospital."""

    slug: str = ""
    file: str = ""
    name: str
    timezone: str
    segment: Literal["small", "professional", "enterprise"] = "professional"
    cs_owner: str = ""
    schedule: ScheduleSpec = ScheduleSpec()
    sources: dict[str, SourceSpec]
    pseudonymisation: PseudonymisationSpec = PseudonymisationSpec()
    mappings: dict[str, dict[str, str]] = {}
    triage: TriageSpec = TriageSpec()
    indicators: list[str] = []
    datasets: dict[str, DatasetOverride] = {}
    # dataset -> check name -> the client's threshold or switch-off, with its reason.
    checks: dict[str, dict[str, CheckSetting]] = {}
    code_systems: CodeSystems = CodeSystems()
    local_times: LocalTimes = LocalTimes()
    export: ExportSpec = ExportSpec()
    # The hospital's reference model for conformance (assets/reference_models/<name>.bpmn);
    # null: the nightly process mining reports no fitness.
    reference_model: str | None = "encounter"
    demo: DemoSpec | None = None
    corrections: list[CorrectionSpec] = []
    deletes: DeletesSpec = DeletesSpec()
    history: HistorySpec = HistorySpec()
    retention: RetentionSpec = RetentionSpec()
    privacy: PrivacySpec = PrivacySpec()
    queries: dict[str, str] = Field(default_factory=dict, exclude=True)

    @property
    def zone(self) -> ZoneInfo:
        """The hospital's time zone."""
        return ZoneInfo(self.timezone)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. America/Sao_Paulo)") from exc
        return value

    @field_validator("mappings", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        # YAML reads `1: alta` as an int key; ERP codes are compared as text.
        if isinstance(value, dict):
            return {k: {str(c): str(v) for c, v in (m or {}).items()} for k, m in value.items()}
        return value


# --- quality suites (expectations/<dataset>.yaml) --------------------------------------


class ExpectationSpec(Strict):
    """One expectation of a suite; its name is the Dagster asset-check name."""

    name: str
    type: str
    kwargs: dict[str, Any] = {}
    level: Literal["row", "dataset"] = "row"
    blocking: bool = False
    description: str = ""
    fix_hint: str = ""
    value_set_from: str | None = None

    @model_validator(mode="after")
    def _blocking_is_dataset_level(self) -> ExpectationSpec:
        if self.blocking and self.level != "dataset":
            raise ValueError("blocking applies to dataset-level expectations only")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"name {self.name!r} must be lowercase letters, digits and _")
        return self


class SuiteSpec(Strict):
    """A Great Expectations suite for one canonical dataset."""

    dataset: str
    description: str = ""
    expectations: list[ExpectationSpec] = []


# --- indicators (assets/indicators/<name>.yaml + .sql) ---------------------------------


class CoverageSpec(Strict):
    """Which rows an indicator needs, and which of their fields, to judge its completeness.

    Per month of `period_column`, the indicator's coverage is the share of the dataset's rows
    (those `where` selects) that have every one of `columns` filled.
    """

    dataset: str
    period_column: str
    columns: list[str]
    where: str = "true"


class PeriodRowsSpec(Strict):
    """Which months a changed row of `dataset` reaches, for an indicator.

    `columns` is one timestamp (the row reaches its month) or two (a span: every month from the
    first to the second; an empty second column means still open, every later month). A row
    whose first column is empty reaches no month. `look_back_days` reaches that many days
    earlier too (readmission: an admission reaches the discharges of the 30 days before it).
    With `through`, the months are those of the rows of dataset `through` sharing `key` with
    the changed row (`columns` are then `through`'s: an encounter reaches its accounts' months).
    """

    dataset: str
    columns: list[str] = Field(min_length=1, max_length=2)
    look_back_days: int = Field(default=0, ge=0)
    through: str | None = None
    key: str | None = None

    @model_validator(mode="after")
    def _through_has_key(self) -> PeriodRowsSpec:
        if (self.through is None) != (self.key is None):
            raise ValueError("through and key go together")
        return self


class PeriodBoundSpec(Strict):
    """A column bounding the months an indicator reports, e.g. the census's first admission.

    When its first (or last) value moves, the months between the old and new place are reached.
    """

    dataset: str
    column: str
    where: str = "true"


class PeriodsSpec(Strict):
    """How an indicator's months depend on rows: what an incremental load recomputes."""

    rows: list[PeriodRowsSpec] = Field(min_length=1)
    bounds: list[PeriodBoundSpec] = []


class IndicatorSetItem(Strict):
    """One indicator of an external set: computable from the canonical datasets or not, why."""

    name: str
    computable: bool
    indicator: str | None = None
    why: str = ""
    note: str = ""


class IndicatorSetSpec(Strict):
    """An external indicator set (ANS's PM-QUALISS Hospitalar) mapped onto our catalog."""

    name: str = ""
    title: str
    reference: str
    items: list[IndicatorSetItem]


class IndicatorSpec(Strict):
    """One indicator: its definition and the SQL that computes it."""

    name: str = ""
    title: str
    title_en: str
    formula: str
    unit: str
    grain: str
    grains: list[Literal["hospital", "month", "unit", "colour", "kind", "priority", "reason"]]
    direction: Literal["higher_is_better", "lower_is_better", "target"]
    target: float | None = None
    depends_on: list[str]
    reference: str = ""
    coverage: CoverageSpec
    # None: every load recomputes every month.
    periods: PeriodsSpec | None = None
    edge_cases: list[str] = []
    sql: str = Field(default="", exclude=True)
