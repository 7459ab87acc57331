"""Small inline SVG charts for the reports (no JavaScript, no external file: a report is one file)."""

from __future__ import annotations

import json

from markupsafe import Markup, escape

# The measure a trend line follows, first found wins: an indicator's headline.
TREND_MEASURES = ("value", "p50")


def trend_points(values: list[dict], indicator: str) -> list[tuple[str, float]]:
    """(month, value) of an indicator's headline measure, oldest first.

    The series without breakdown when there is one; otherwise the first breakdown in order
    (mortality's `geral` scope, exam turnaround's imaging/routine).
    """
    for measure in TREND_MEASURES:
        rows = [v for v in values if v["indicator"] == indicator and v["measure"] == measure]
        if not rows:
            continue
        keys = sorted({_key(v["dimensions"]) for v in rows})
        wanted = "{}" if "{}" in keys else keys[0]
        return sorted(
            (v["period"][:7], float(v["value"])) for v in rows if _key(v["dimensions"]) == wanted
        )
    return []


def _key(dimensions: str | dict) -> str:
    if isinstance(dimensions, dict):
        return json.dumps(dimensions, sort_keys=True) if dimensions else "{}"
    return dimensions or "{}"


def sparkline(points: list[tuple[str, float]], width: int = 180, height: int = 40) -> Markup:
    """An SVG line of `points` with its first and last month and its range as a tooltip.

    A single point is drawn as a dot; no points give an empty string.
    """
    if not points:
        return Markup("")
    values = [v for _, v in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    pad = 4
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    xy = [
        (pad + i * step, height - pad - (v - low) / span * (height - 2 * pad))
        for i, v in enumerate(values)
    ]
    title = escape(
        f"{points[0][0]} a {points[-1][0]}: mín. {low:.2f}, máx. {high:.2f}, último {values[-1]:.2f}"
    )
    if len(xy) == 1:
        shape = f'<circle cx="{xy[0][0]:.1f}" cy="{xy[0][1]:.1f}" r="2.5"/>'
    else:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        shape = f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{line}"/>'
    return Markup(
        f'<svg class="trend" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{title}"><title>{title}</title>{shape}</svg>'
    )
