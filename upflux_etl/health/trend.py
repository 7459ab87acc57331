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


def trend_text(trend: str | None, previous: float | None) -> str:
    """The trend in Portuguese, with the previous score: `caindo (antes 82,0)`."""
    label = TREND_LABELS.get(trend, str(trend))
    return label if previous is None else f"{label} (antes {num(previous)})"
