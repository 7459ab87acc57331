"""Optimal alignments of traces with a workflow net, with the standard cost function.

Published algorithm (Adriansyah, van Dongen and van der Aalst, 2011; van der Aalst,
Adriansyah and van Dongen, 2012): an alignment is a path through the synchronous product of
the net and the trace. Standard costs (as pm4py documents them): a synchronous move 0, a log
move or a visible model move 10000, a silent model move 1. An optimal alignment therefore
has the fewest deviations (log moves plus visible model moves) and, among those, the fewest
silent steps. Its worst case is all events as log moves plus the model's cheapest complete
run as model moves (the alignment of the empty trace).

The shortest path through the product is found exactly, layer by layer: a layer is a trace
position (moves never go back in the trace); within a layer only model moves happen, and
the cheapest model moves between any two reachable markings are computed once per model
(Dijkstra on the reachability graph). A layer then costs one minimum over the markings a
synchronous move reaches. Traces sharing a prefix share its layers (variants sorted).
A transition fused by `reduce_silent` weighs the silent transitions it stands for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from upflux_etl.mining.bpmn import Model
from upflux_etl.mining.errors import EventLogError
from upflux_etl.mining.petri import reachability_graph

VISIBLE = 10000  # a log move or a visible model move; a silent model move costs 1
CHUNK = 256


@dataclass(frozen=True)
class Alignment:
    """One variant's optimal alignment, summarised.

    Attributes:
        deviations: log moves plus visible model moves.
        worst: trace length plus the visible transitions of the model's cheapest complete run.
        cost: the alignment's standard cost (VISIBLE per deviation, 1 per silent move).
        worst_cost: the standard worst case (VISIBLE per event plus the cheapest complete run).
        log_moves: activities of the trace the model could not follow, in trace order.
        model_moves: activities the model needed that the trace lacks, in run order.
    """

    deviations: int
    worst: int
    cost: int
    worst_cost: int
    log_moves: tuple[str, ...] = ()
    model_moves: tuple[str, ...] = ()

    @property
    def fitness(self) -> float:
        """1 - deviations / worst case (1 for a fitting trace; silent moves not counted)."""
        return 1.0 - self.deviations / self.worst if self.worst else 1.0


class Aligner:
    """Aligns traces with one model; its reachability graph and distances are built once.

    Args:
        model: the reference model (a workflow net from `read_bpmn`).

    Raises:
        EventLogError: the model's state space is too large, or its end is unreachable.
    """

    def __init__(self, model: Model) -> None:
        graph = reachability_graph(model.net, model.initial, model.source)
        self.size = len(graph.markings)
        try:
            self.final = graph.markings.index(model.final)
        except ValueError:
            raise EventLogError(f"{model.source}: the model can never reach its end") from None
        labels = [t.label for t in model.net.transitions]
        best: dict[tuple[int, int], tuple[int, int]] = {}
        sync: dict[str, list[tuple[int, int, int]]] = {}
        for src, t, dst in graph.edges:
            transition = model.net.transitions[t]
            weight = transition.silent + (0 if labels[t] is None else VISIBLE)
            if (src, dst) not in best or weight < best[(src, dst)][0]:
                best[(src, dst)] = (weight, t)
            if labels[t] is not None:
                sync.setdefault(labels[t] or "", []).append((src, dst, transition.silent))
        keys = list(best)
        matrix = csr_matrix(
            (
                [float(best[k][0]) for k in keys],
                ([k[0] for k in keys], [k[1] for k in keys]),
            ),
            shape=(self.size, self.size),
        )
        self.distance, self.predecessor = shortest_path(
            matrix, method="D", directed=True, return_predecessors=True
        )
        if not np.isfinite(self.distance[0, self.final]):
            raise EventLogError(f"{model.source}: the model can never reach its end")
        self.cheapest_run = int(self.distance[0, self.final])
        self.shortest_run = self.cheapest_run // VISIBLE
        self.labels = labels
        self.best = best
        # Per activity: the synchronous moves' source and target markings and silent cost.
        self.sync = {
            label: (
                np.array([e[0] for e in moves]),
                np.array([e[1] for e in moves]),
                np.array([e[2] for e in moves], dtype=float),
            )
            for label, moves in sync.items()
        }

    def align(self, variants: Sequence[tuple[str, ...]]) -> list[Alignment]:
        """Optimal alignments of the variants, in the order given."""
        results: list[Alignment | None] = [None] * len(variants)
        layers = _Layers(self._step, self.distance[0])
        previous: tuple[str, ...] = ()
        for i in sorted(range(len(variants)), key=lambda k: variants[k]):
            trace = variants[i]
            common = _common_prefix(previous, trace)
            layers.keep(common + 1)
            for activity in trace[common:]:
                layers.step(activity)
            previous = trace
            cost = layers.value(len(trace), self.final)
            deviations = cost // VISIBLE
            worst = len(trace) + self.shortest_run
            worst_cost = VISIBLE * len(trace) + self.cheapest_run
            if deviations:
                back = layers.walker(trace, self._back)
                log_moves, model_moves = self._moves(trace, back)
                results[i] = Alignment(deviations, worst, cost, worst_cost, log_moves, model_moves)
            else:
                results[i] = Alignment(0, worst, cost, worst_cost)
        return [r for r in results if r is not None]

    def _step(self, closed: np.ndarray, activity: str) -> np.ndarray:
        """The next layer: a log move from every marking, or a synchronous move then model moves."""
        after = closed + VISIBLE
        if activity not in self.sync:
            return after
        src, dst, silent = self.sync[activity]
        reached = np.full(self.size, np.inf)
        np.minimum.at(reached, dst, closed[src] + silent)
        better = np.flatnonzero(reached < after)
        for start in range(0, len(better), CHUNK):
            rows = better[start : start + CHUNK]
            candidate = (reached[rows, None] + self.distance[rows]).min(axis=0)
            np.minimum(after, candidate, out=after)
        return after

    def _moves(
        self, trace: tuple[str, ...], back: Callable[[int, int], tuple[int | None, tuple[str, ...]]]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Walk one optimal alignment back from the end: its log moves and model moves.

        `back(i, marking)`: how layer `i` reached `marking` (see `_back`).
        """
        marking = self.final
        log_moves: list[str] = []
        model_moves: list[str] = []
        for i in range(len(trace), 0, -1):
            source, labels = back(i, marking)
            if source is None:
                log_moves.append(trace[i - 1])
                continue
            model_moves.extend(reversed(labels))
            marking = source
        model_moves.extend(reversed(self._visible_path(0, marking)))
        return tuple(reversed(log_moves)), tuple(reversed(model_moves))

    def _back(
        self, before: np.ndarray, value: float, activity: str, marking: int
    ) -> tuple[int | None, tuple[str, ...]]:
        """How `marking` got `value` after `activity` from the layer `before`.

        (None, ()) for a log move; else the marking the synchronous move left and the visible
        labels of the model moves after it.
        """
        if before[marking] + VISIBLE == value:
            return None, ()
        src, dst, silent = self.sync[activity]
        j = int(np.flatnonzero(before[src] + silent + self.distance[dst, marking] == value)[0])
        return int(src[j]), tuple(self._visible_path(int(dst[j]), marking))

    def _visible_path(self, start: int, end: int) -> list[str]:
        """Labels of the visible transitions on the cheapest model run from start to end."""
        labels: list[str] = []
        node = end
        while node != start:
            parent = int(self.predecessor[start, node])
            label = self.labels[self.best[(parent, node)][1]]
            if label is not None:
                labels.append(label)
            node = parent
        return labels[::-1]


_Back = tuple[int | None, tuple[str, ...]]  # see Aligner._back


class _Layers:
    """A trace's layers, each kept as a shape (the layer less its minimum) and that minimum.

    A layer moves by a constant when the layer before it does (every move adds a cost), so
    the next shape depends only on the shape before and the activity: each (shape, activity)
    is stepped once and then looked up. Long variants repeat a few shapes (an activity the
    model loops on, or one it cannot follow): most steps become a dictionary lookup. Costs
    are integers held exactly in floats, so the values are those of stepping every layer.
    """

    def __init__(self, step: Callable[[np.ndarray, str], np.ndarray], first: np.ndarray) -> None:
        self._step = step
        self._shapes: list[np.ndarray] = []
        self._ids: dict[bytes, int] = {}
        self._next: dict[tuple[int, str], tuple[int, float]] = {}
        self._backs: dict[tuple[int, str, int], _Back] = {}
        shape, low = self._shape(first.copy())
        self._path: list[tuple[int, float]] = [(shape, low)]

    def _shape(self, layer: np.ndarray) -> tuple[int, float]:
        low = float(layer.min())
        if np.isfinite(low):
            layer -= low
        else:
            low = 0.0
        key = layer.tobytes()
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self._shapes)
            layer.flags.writeable = False
            self._shapes.append(layer)
        return found, low

    def keep(self, count: int) -> None:
        """Keep the first `count` layers (a shared prefix)."""
        del self._path[count:]

    def step(self, activity: str) -> None:
        """Add the layer after `activity`."""
        shape, low = self._path[-1]
        move = self._next.get((shape, activity))
        if move is None:
            move = self._next[(shape, activity)] = self._shape(
                self._step(self._shapes[shape], activity)
            )
        self._path.append((move[0], low + move[1]))

    def value(self, layer: int, marking: int) -> int:
        """The cost of reaching `marking` in layer `layer`."""
        shape, low = self._path[layer]
        return int(self._shapes[shape][marking] + low)

    def walker(
        self, trace: tuple[str, ...], back: Callable[[np.ndarray, float, str, int], _Back]
    ) -> Callable[[int, int], _Back]:
        """`back` on the path's layers, once per (shape before, activity, marking).

        The step back depends on the layer before and the cost difference to the layer after,
        which the shape before and the activity fix.
        """

        def walk(i: int, marking: int) -> _Back:
            (before, low_before), (after, low_after) = self._path[i - 1], self._path[i]
            key = (before, trace[i - 1], marking)
            found = self._backs.get(key)
            if found is None:
                value = self._shapes[after][marking] + (low_after - low_before)
                found = self._backs[key] = back(self._shapes[before], value, trace[i - 1], marking)
            return found

        return walk


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
