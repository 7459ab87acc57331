"""The health score's declarative settings: the model of `assets/health/score.yaml`."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from upflux_etl.catalog.models import Strict

FACTORS = (
    "freshness",
    "data_quality",
    "data_flow",
    "platform_use",
    "reconciliation",
    "implementation",
)


class Band(Strict):
    """A score band: its name, lower bound (0-100) and the label shown."""

    name: str
    min: float = Field(ge=0, le=100)
    label: str


class TrendConfig(Strict):
    """How the score's trend is judged: changes within `flat_within` points are flat."""

    flat_within: float = Field(default=2.0, ge=0)


class FreshnessConfig(Strict):
    """Freshness factor: hours within which a load is fresh, and after which it is stale."""

    fresh_hours: float = Field(gt=0)
    stale_hours: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> FreshnessConfig:
        if self.stale_hours <= self.fresh_hours:
            raise ValueError("stale_hours must be greater than fresh_hours")
        return self


class QualityConfig(Strict):
    """Data-quality factor: the cap when a blocking check fails, and the threshold for an action."""

    blocking_cap: float = Field(ge=0, le=1)
    action_below: float = Field(ge=0, le=1)


class FlowConfig(Strict):
    """Data-flow factor: recent volumes against a weekly baseline, per dataset."""

    window_days: int = Field(default=7, ge=1)
    baseline_weeks: int = Field(default=4, ge=1)
    recent_days: int = Field(default=2, ge=1)
    healthy_ratio: float = Field(default=0.8, gt=0)
    collapse_ratio: float = Field(default=0.5, ge=0)
    min_daily_baseline: float = Field(default=1.0, ge=0)
    not_judged: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> FlowConfig:
        if self.collapse_ratio > self.healthy_ratio:
            raise ValueError("collapse_ratio must not exceed healthy_ratio")
        if self.recent_days > self.window_days:
            raise ValueError("recent_days must not exceed window_days")
        return self


class UsageConfig(Strict):
    """Platform-use factor: the window and the platform modules counted."""

    window_days: int = Field(default=30, ge=1)
    modules: dict[str, str] = Field(min_length=1)


class ReconciliationConfig(Strict):
    """Reconciliation factor: how many recent loads are compared."""

    loads: int = Field(default=3, ge=1)


class DueDays(Strict):
    """Days until a CS action is due, per kind of action."""

    integration: int = Field(ge=0)
    recheck: int = Field(ge=0)
    review: int = Field(ge=0)


class Milestone(Strict):
    """A CS follow-up point counted from the first training."""

    kind: str
    title: str
    after_days: int | None = Field(default=None, ge=0)
    every_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_rule(self) -> Milestone:
        if (self.after_days is None) == (self.every_days is None):
            raise ValueError("give exactly one of after_days or every_days")
        return self


class ActionsConfig(Strict):
    """CS actions: their owners, due days and the follow-up cadence."""

    integration_owner: str
    default_owner: str
    due_days: DueDays
    cadence_from: str = "training_1"
    cadence_window_days: int = Field(default=7, ge=1)
    cadence: list[Milestone] = Field(default_factory=list)


class HealthConfig(Strict):
    """Weights, bands and thresholds of the health score."""

    weights: dict[str, float]
    bands: list[Band]
    trend: TrendConfig = TrendConfig()
    freshness: FreshnessConfig
    data_quality: QualityConfig
    data_flow: FlowConfig
    platform_use: UsageConfig
    reconciliation: ReconciliationConfig = ReconciliationConfig()
    actions: ActionsConfig

    @field_validator("weights")
    @classmethod
    def _weights_sum_to_100(cls, weights: dict[str, float]) -> dict[str, float]:
        if set(weights) != set(FACTORS):
            raise ValueError(f"weights must name exactly the factors {', '.join(FACTORS)}")
        total = sum(weights.values())
        if any(w < 0 for w in weights.values()) or abs(total - 100) > 1e-9:
            raise ValueError(f"weights must be non-negative and sum to 100 (they sum to {total})")
        return weights

    @field_validator("bands")
    @classmethod
    def _bands_ordered(cls, bands: list[Band]) -> list[Band]:
        mins = [band.min for band in bands]
        if (
            not mins
            or mins != sorted(mins, reverse=True)
            or len(set(mins)) != len(mins)
            or mins[-1] != 0
        ):
            raise ValueError(
                "bands must be ordered by decreasing min, distinct, the last with min 0"
            )
        return bands

    def band_for(self, score: float) -> Band:
        """The first band whose minimum the score reaches."""
        return next(band for band in self.bands if score >= band.min)
