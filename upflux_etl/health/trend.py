"""The trend of a health score: computed and worded in this one place for every reader."""

from __future__ import annotations

from upflux_etl.catalog.health import HealthConfig
from upflux_etl.health.text import num

TREND_LABELS = {"up": "subindo", "down": "caindo", "flat": "estável", None: "sem histórico"}


def trend_of(score: float, previous: float | None, config: HealthConfig) -> str | None:
    """up, down or flat (a change within `trend.flat_within` points), None without a previous."""
    if previous is None:
        return None
    delta = score - previous
    if abs(delta) <= config.trend.flat_within:
        return "flat"
    return "up" if delta > 0 else "down"


def comparable_trend(
    now: dict[str, float | None], before: dict[str, float | None], config: HealthConfig
) -> str | None:
    """The trend over the factors that applied on both days, each score renormalised to them.

    A factor that starts to apply (the first load brings freshness, quality and the
    checklist) changes what the score measures, not how the hospital is doing: comparing the
    two totals would read that as a fall. With the same factors on both days this is exactly
    the trend of the two scores.

    Args:
        now: factor -> value (0-1, None when it does not apply) on the day scored.
        before: the same for the previous scored day.
        config: the weights and the flat margin.
    """
    common = [n for n, v in now.items() if v is not None and before.get(n) is not None]
    weight = sum(config.weights[n] for n in common)
    if not common or weight <= 0:
        return None

    def score(values: dict[str, float | None]) -> float:
        return 100 * sum((values[n] or 0.0) * config.weights[n] for n in common) / weight

    return trend_of(round(score(now), 1), round(score(before), 1), config)


def trend_text(trend: str | None, previous: float | None) -> str:
    """The trend in Portuguese, with the previous score: `caindo (antes 82,0)`."""
    label = TREND_LABELS.get(trend, str(trend))
    return label if previous is None else f"{label} (antes {num(previous)})"
