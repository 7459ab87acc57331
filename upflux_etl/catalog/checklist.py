"""The implementation checklist's declarative rounds: the model of `assets/checklist/rounds.yaml`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from upflux_etl.catalog.models import Strict

# The computations an automatic item may name (implemented in `checklist.evidence`).
RULES = (
    "connection_ok",
    "datasets_extracted",
    "quality_report_clean",
    "indicators_computed",
    "reconciled_loads",
)


class ItemSpec(Strict):
    """One checklist item and the evidence that makes it done."""

    id: str
    title: str
    teams: str = ""
    owner: Literal["cs", "integracao"] = "cs"
    evidence: list[Literal["person", "automatic"]]
    rule: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    requires: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _evidence_is_coherent(self) -> ItemSpec:
        if not self.evidence or len(set(self.evidence)) != len(self.evidence):
            raise ValueError("evidence must list person, automatic or both, once each")
        if self.automatic != (self.rule is not None):
            raise ValueError("an automatic item names a rule; a person-only item does not")
        if self.rule is not None and self.rule not in RULES:
            raise ValueError(f"unknown rule {self.rule!r}; known: {', '.join(RULES)}")
        if self.requires and not self.person:
            raise ValueError("requires applies to items a person records")
        return self

    @property
    def person(self) -> bool:
        """A person's event is part of the evidence."""
        return "person" in self.evidence

    @property
    def automatic(self) -> bool:
        """The pipeline's own record is part of the evidence."""
        return "automatic" in self.evidence


class RoundSpec(Strict):
    """One round of the implementation checklist and its items."""

    round: int
    title: str
    items: list[ItemSpec]


class Rounds(Strict):
    """Rounds 1-3 of an implementation, in order."""

    rounds: list[RoundSpec]

    @model_validator(mode="after")
    def _unique_ids(self) -> Rounds:
        ids = [item.id for r in self.rounds for item in r.items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"item ids must be unique; repeated: {', '.join(duplicates)}")
        return self

    def items(self) -> list[tuple[int, ItemSpec]]:
        """Every item with its round number, in checklist order."""
        return [(r.round, item) for r in self.rounds for item in r.items]

    def item(self, item_id: str) -> ItemSpec:
        """The item named `item_id` (KeyError naming the known ids otherwise)."""
        for _, item in self.items():
            if item.id == item_id:
                return item
        known = ", ".join(i.id for _, i in self.items())
        raise KeyError(f"unknown checklist item {item_id!r}; known: {known}")
