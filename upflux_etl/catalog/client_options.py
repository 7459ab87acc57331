"""Typed models of a client file's per-hospital options (pure: dicts in, validated models out).

The establishment filter, per-client check settings, code systems, the rule for local times
that do not exist or repeat, and text-column formats. `catalog.models.ClientSpec` holds them;
`catalog.validation` checks them against the catalog.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Expectation kwargs a client may change: the share of rows that must pass, and the bounds.
CHECK_THRESHOLDS = ("mostly", "min_value", "max_value")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EstablishmentFilter(_Strict):
    """One establishment of a hospital group whose ERP database holds several.

    `columns` maps a source table to its establishment column (e.g. `atendimento_paciente:
    cd_estabelecimento`); the profile may declare them (`establishment_columns`), the client
    adds or overrides. Every SELECT of every query that reads one of those tables keeps only
    rows with `value` (in the WHERE, or in the ON of an outer-joined table).
    """

    value: str | int
    columns: dict[str, str] = {}


class CheckSetting(_Strict):
    """A client's change to one check: a threshold, or switched off; always with its reason."""

    enabled: bool = True
    mostly: float | None = Field(default=None, gt=0, le=1)
    min_value: Any = None
    max_value: Any = None
    reason: str = Field(min_length=10)

    @model_validator(mode="after")
    def _changes_something(self) -> CheckSetting:
        if self.enabled and not self.thresholds():
            raise ValueError(
                "change a threshold (mostly, min_value, max_value) or switch the check off "
                "(enabled: false)"
            )
        if not self.enabled and self.thresholds():
            raise ValueError("a switched-off check takes no threshold")
        return self

    def thresholds(self) -> dict[str, Any]:
        """The kwargs this setting changes."""
        return {k: getattr(self, k) for k in CHECK_THRESHOLDS if getattr(self, k) is not None}


class CodeSystems(_Strict):
    """The code systems of the source's diagnoses and procedures (exams)."""

    diagnosis: Literal["cid10", "icd10cm"] = "cid10"
    procedure: Literal["tuss", "local"] = "tuss"


class LocalTimes(_Strict):
    """How wall times that do not exist (spring forward) or repeat (fall back) are read.

    nonexistent: `gap_end` (default) reads them as the first instant after the gap, which
    keeps the order of events (an order typed in the gap never lands after its result);
    `shift_forward` adds the gap's length (PostgreSQL's and ICU's reading); `quarantine`
    quarantines the row. ambiguous: `later` (default: the second pass, standard time, as
    PostgreSQL and ICU read it), `earlier` (the first pass, daylight time) or `quarantine`.
    """

    nonexistent: Literal["gap_end", "shift_forward", "quarantine"] = "gap_end"
    ambiguous: Literal["earlier", "later", "quarantine"] = "later"


# Text formats a column may declare: numbers, and dates/times written with dd mm yyyy hh mi ss.
NUMBER_FORMATS = ("1.234,56", "1,234.56")
_DATE_TOKENS = {
    "yyyy": "%Y",
    "yy": "%y",
    "mm": "%m",
    "dd": "%d",
    "hh": "%H",
    "mi": "%M",
    "ss": "%S",
}
_DATE_PATTERN = re.compile("|".join(sorted(_DATE_TOKENS, key=len, reverse=True)))


def strptime_format(pattern: str) -> str:
    """The strptime format of a date pattern ("dd/mm/yyyy hh:mi" -> "%d/%m/%Y %H:%M").

    A trailing `Z` means the text is a UTC instant, not the hospital's wall time.

    Raises:
        ValueError: the pattern has no day, month and year, or holds a character that is
            neither a token nor a separator.
    """
    body = pattern.removesuffix("Z")
    rest = _DATE_PATTERN.sub("", body)
    if re.search(r"[A-SU-Za-z0-9%]", rest):
        raise ValueError(
            f"format {pattern!r}: use dd, mm, yyyy (or yy), hh, mi, ss and separators; "
            "a trailing Z means UTC"
        )
    zone = "Z" if pattern.endswith("Z") else ""
    return _DATE_PATTERN.sub(lambda m: _DATE_TOKENS[m.group(0)], body) + zone


def date_pattern_parts(pattern: str) -> set[str]:
    """The tokens of a date pattern ({"dd", "mm", "yyyy", ...})."""
    return set(_DATE_PATTERN.findall(pattern.removesuffix("Z")))
