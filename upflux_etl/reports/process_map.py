"""The process map of a report: a directly-follows graph drawn as inline SVG.

No Graphviz and no JavaScript: a report is one self-contained file. Activities are placed in
columns by their mean position in the cases (what usually happens first is left), one row per
activity within a column; an edge's width grows with its frequency, its label is the count.
Edges going back (to an earlier or the same column) are drawn as arcs below the nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 150, 34, 70, 26, 20


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


def process_map(activities: list[Activity], edges: list[Edge], max_edges: int = 60) -> Markup:
    """The SVG of the map (the `max_edges` most frequent edges; all activities)."""
    if not activities:
        return Markup("")
    columns: dict[int, list[Activity]] = {}
    for a in sorted(activities, key=lambda a: (a.mean_position, -a.count, a.name)):
        columns.setdefault(round(a.mean_position), []).append(a)
    place: dict[str, tuple[float, float, int]] = {}
    for col, key in enumerate(sorted(columns)):
        for row, a in enumerate(columns[key]):
            place[a.name] = (
                PAD + col * (NODE_W + COL_GAP),
                PAD + row * (NODE_H + ROW_GAP),
                col,
            )
    rows = max(len(c) for c in columns.values())
    width = PAD * 2 + len(columns) * (NODE_W + COL_GAP) - COL_GAP
    body_h = PAD + rows * (NODE_H + ROW_GAP)
    shown = sorted(edges, key=lambda e: -e.count)[:max_edges]
    top = max((e.count for e in shown), default=1)
    back = [e for e in shown if place[e.target][2] <= place[e.source][2]]
    height = body_h + PAD + 18 * min(len(back), 12)
    parts = [
        f'<svg class="process-map" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="mapa do processo">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>'
        "</defs>",
    ]
    for i, e in enumerate(shown):
        parts.append(_edge(e, place, top, body_h, back.index(e) if e in back else None, i))
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
    body_h: float,
    back_index: int | None,
    i: int,
) -> str:
    sx, sy, _ = place[e.source]
    tx, ty, _ = place[e.target]
    stroke = 1 + 5 * math.log1p(e.count) / math.log1p(top)
    title = f"<title>{escape(e.source)} → {escape(e.target)}: {e.count}</title>"
    if back_index is None:
        x1, y1 = sx + NODE_W, sy + NODE_H / 2
        x2, y2 = tx, ty + NODE_H / 2
        mx = (x1 + x2) / 2
        path = f"M{x1:.0f},{y1:.0f} C{mx:.0f},{y1:.0f} {mx:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        lx, ly = mx, (y1 + y2) / 2 - 3
    else:
        depth = body_h + 10 + 18 * (back_index % 12)
        x1, x2 = sx + NODE_W / 2 + 8, tx + NODE_W / 2 - 8
        y1, y2 = sy + NODE_H, ty + NODE_H
        path = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{depth:.0f} {x2:.0f},{depth:.0f} {x2:.0f},{y2:.0f}"
        lx, ly = (x1 + x2) / 2, depth - 4
    return (
        f'<g class="edge" data-i="{i}">{title}<path d="{path}" fill="none" '
        f'stroke-width="{stroke:.1f}" marker-end="url(#arrow)"/>'
        f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle">{e.count}</text></g>'
    )
