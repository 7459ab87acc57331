"""The process map of a report: a directly-follows graph drawn as inline SVG.

No Graphviz and no JavaScript: a report is one self-contained file. Activities are placed in
levels by their mean position in the cases (what usually happens first is on top), side by side
within a level; an edge's width grows with its frequency, its label is the count. Edges going
back (to an earlier or the same level) are drawn as arcs on the right. The 30 most frequent
edges are drawn (all of them are in the mining summary).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 150, 34, 70, 26, 20
# Inline: the report is one file, and an SVG's shapes would otherwise be drawn black.
_STYLE = (
    ".activity rect{fill:#eef3f8;stroke:#1b4b7a;stroke-width:1}"
    ".activity text{font:12px sans-serif;fill:#1b2b3a}.activity text.n{fill:#5a6b7d;font-size:11px}"
    ".edge path{stroke:#7d97b5;fill:none}.edge text{font:10px sans-serif;fill:#3d5670}"
    "marker path{fill:#7d97b5}"
)


@dataclass(frozen=True)
class Activity:
    """An activity of the map: how often it happens and where it usually sits in a case."""

    name: str
    count: int
    mean_position: float


@dataclass(frozen=True)
class Edge:
    """A directly-follows relation and how often it was observed."""

    source: str
    target: str
    count: int


def process_map(activities: list[Activity], edges: list[Edge], max_edges: int = 30) -> Markup:
    """The SVG of the map, top to bottom (the `max_edges` most frequent edges; all activities)."""
    if not activities:
        return Markup("")
    levels: dict[int, list[Activity]] = {}
    for a in sorted(activities, key=lambda a: (a.mean_position, -a.count, a.name)):
        levels.setdefault(round(a.mean_position), []).append(a)
    place: dict[str, tuple[float, float, int]] = {}
    for level, key in enumerate(sorted(levels)):
        for i, a in enumerate(levels[key]):
            place[a.name] = (PAD + i * (NODE_W + COL_GAP), PAD + level * (NODE_H + ROW_GAP), level)
    widest = max(len(row) for row in levels.values())
    body_w = PAD + widest * (NODE_W + COL_GAP) - COL_GAP
    height = PAD * 2 + len(levels) * (NODE_H + ROW_GAP)
    shown = [e for e in sorted(edges, key=lambda e: -e.count) if e.source != e.target][:max_edges]
    top = max((e.count for e in shown), default=1)
    back = [e for e in shown if place[e.target][2] <= place[e.source][2]]
    width = body_w + PAD + 16 * min(len(back), 12) + 40
    parts = [
        # Scales to the page's width (the viewBox keeps its proportions).
        f'<svg class="process-map" width="100%" style="max-width:{width}px" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="mapa do processo">',
        f"<style>{_STYLE}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    for i, e in enumerate(shown):
        parts.append(_edge(e, place, top, body_w, back.index(e) if e in back else None, i))
    counts = {a.name: a.count for a in activities}
    for name, (x, y, _) in place.items():
        label = escape(name if len(name) <= 22 else name[:21] + "…")
        parts.append(
            f'<g class="activity"><title>{escape(name)}: {counts[name]}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
            f'<text x="{x + NODE_W / 2:.0f}" y="{y + 14:.0f}" text-anchor="middle">{label}</text>'
            f'<text class="n" x="{x + NODE_W / 2:.0f}" y="{y + 28:.0f}" text-anchor="middle">'
            f"{counts[name]}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _edge(
    e: Edge,
    place: dict[str, tuple[float, float, int]],
    top: int,
    body_w: float,
    back_index: int | None,
    i: int,
) -> str:
    sx, sy, _ = place[e.source]
    tx, ty, _ = place[e.target]
    stroke = 1 + 5 * math.log1p(e.count) / math.log1p(top)
    title = f"<title>{escape(e.source)} → {escape(e.target)}: {e.count}</title>"
    if back_index is None:
        x1, y1 = sx + NODE_W / 2, sy + NODE_H
        x2, y2 = tx + NODE_W / 2, ty
        my = (y1 + y2) / 2
        path = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{my:.0f} {x2:.0f},{my:.0f} {x2:.0f},{y2:.0f}"
        lx, ly = (x1 + x2) / 2 + 4, my
    else:
        depth = body_w + 12 + 16 * (back_index % 12)
        x1, y1 = sx + NODE_W, sy + NODE_H / 2 + 6
        x2, y2 = tx + NODE_W, ty + NODE_H / 2 - 6
        path = f"M{x1:.0f},{y1:.0f} C{depth:.0f},{y1:.0f} {depth:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        lx, ly = depth - 2, (y1 + y2) / 2
    return (
        f'<g class="edge" data-i="{i}">{title}<path d="{path}" '
        f'stroke-width="{stroke:.1f}" marker-end="url(#arrow)"/>'
        f'<text x="{lx:.0f}" y="{ly:.0f}">{e.count}</text></g>'
    )
