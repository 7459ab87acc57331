"""The health score: factors weighted and renormalised, a band, a trend and next actions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from upflux_etl.catalog.health import HealthConfig
from upflux_etl.health.actions import NextAction, next_actions
from upflux_etl.health.factors import Factor, all_factors
from upflux_etl.health.inputs import HealthInputs
from upflux_etl.health.trend import comparable_trend, trend_of
from upflux_etl.state.records import HealthRecord


@dataclass(frozen=True)
class HealthScore:
    """A hospital's health on one day.

    Attributes:
        score: 0-100, or None when no factor applies yet (nothing is recorded then).
        band: green, yellow or red (None with no score); band_label in Portuguese.
        trend: up, down or flat against the previous score (None without one).
    """

    client: str
    as_of: date
    score: float | None
    band: str | None
    band_label: str | None
    factors: tuple[Factor, ...]
    previous_score: float | None
    trend: str | None
    next_actions: tuple[NextAction, ...]
    computed_at: datetime

    def to_record(self) -> HealthRecord:
        """The row kept in the state store (only for a known score)."""
        if self.score is None or self.band is None:
            raise ValueError(
                f"{self.client} has no health score for {self.as_of}: nothing applies yet"
            )
        factors = {
            f.name: {
                "title": f.title,
                "applies": f.applies,
                "value": None if f.value is None else round(f.value, 4),
                "weight": f.weight,
                "effective_weight": round(f.effective_weight, 2),
                "points": round(f.points, 2),
                "detail": f.detail,
                "facts": f.facts,
            }
            for f in self.factors
        }
        return HealthRecord(
            client=self.client,
            as_of=self.as_of,
            score=self.score,
            band=self.band,
            factors=factors,
            previous_score=self.previous_score,
            trend=self.trend,
            next_actions=[a.as_dict() for a in self.next_actions],
            computed_at=self.computed_at,
        )


def renormalise(factors: list[Factor], config: HealthConfig) -> list[Factor]:
    """Give each applying factor its share of 100; factors that do not apply get 0."""
    applying = sum(config.weights[f.name] for f in factors if f.applies)
    return [
        replace(
            f,
            weight=config.weights[f.name],
            effective_weight=config.weights[f.name] * 100 / applying
            if f.applies and applying
            else 0.0,
        )
        for f in factors
    ]


def compute_health(
    inputs: HealthInputs, config: HealthConfig, previous: float | HealthRecord | None
) -> HealthScore:
    """Score a hospital from its inputs (pure: no I/O, no clock but `computed_at`).

    Args:
        inputs: what is known as of the day.
        config: weights, bands and thresholds.
        previous: the newest earlier day's record (the trend compares the factors that
            applied on both days), or just its score, if any.
    """
    factors = renormalise(all_factors(inputs, config), config)
    applying = [f for f in factors if f.applies]
    score = round(sum(f.points for f in applying), 1) if applying else None
    band = config.band_for(score) if score is not None else None
    if isinstance(previous, HealthRecord) and previous.factors:
        before = {
            n: f.get("value") if f.get("applies") else None for n, f in previous.factors.items()
        }
        trend = comparable_trend({f.name: f.value for f in factors}, before, config)
        previous_score: float | None = previous.score
    else:
        previous_score = previous.score if isinstance(previous, HealthRecord) else previous
        trend = trend_of(score, previous_score, config) if score is not None else None
    return HealthScore(
        client=inputs.client,
        as_of=inputs.as_of,
        score=score,
        band=band.name if band else None,
        band_label=band.label if band else None,
        factors=tuple(factors),
        previous_score=previous_score,
        trend=trend if score is not None else None,
        next_actions=tuple(next_actions(inputs, factors, config)),
        computed_at=datetime.now(UTC),
    )
