"""Workflow nets and their reachability graphs."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from upflux_etl.mining.errors import EventLogError

MAX_MARKINGS = 5000


@dataclass(frozen=True)
class Transition:
    """A transition: `label` is the activity (None: silent), `pre`/`post` place indexes.

    `silent` counts the drawn net's silent transitions one firing stands for (1 for a drawn
    silent transition; more or fewer after `reduce_silent` fuses them into neighbours).
    """

    label: str | None
    pre: tuple[int, ...]
    post: tuple[int, ...]
    silent: int = 0


@dataclass
class PetriNet:
    """A workflow net: places by name, transitions, one source place and one sink place."""

    places: list[str] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)

    def place(self, name: str) -> int:
        """Index of the place `name`, added when new."""
        if name not in self._index:
            self._index[name] = len(self.places)
            self.places.append(name)
        return self._index[name]

    def add(self, label: str | None, pre: list[str], post: list[str]) -> None:
        """Add a transition from the places `pre` to the places `post`."""
        self.transitions.append(
            Transition(
                label,
                tuple(self.place(p) for p in pre),
                tuple(self.place(p) for p in post),
                silent=int(label is None),
            )
        )

    def __post_init__(self) -> None:
        self._index: dict[str, int] = {name: i for i, name in enumerate(self.places)}

    def marking(self, tokens: dict[str, int]) -> tuple[int, ...]:
        """A marking as a token count per place."""
        counts = [0] * len(self.places)
        for name, n in tokens.items():
            counts[self.place(name)] = n
        return tuple(counts)


@dataclass(frozen=True)
class ReachabilityGraph:
    """The markings reachable from the initial one; edges (source, transition, target)."""

    markings: list[tuple[int, ...]]
    edges: list[tuple[int, int, int]]


def reachability_graph(net: PetriNet, initial: tuple[int, ...], source: str) -> ReachabilityGraph:
    """Every marking reachable from `initial`, breadth first.

    Raises:
        EventLogError: more than MAX_MARKINGS markings (too large, or unbounded), named by source.
    """
    index = {initial: 0}
    markings = [initial]
    edges: list[tuple[int, int, int]] = []
    queue = deque([initial])
    while queue:
        marking = queue.popleft()
        here = index[marking]
        for t, transition in enumerate(net.transitions):
            if all(marking[p] > 0 for p in transition.pre):
                after = list(marking)
                for p in transition.pre:
                    after[p] -= 1
                for p in transition.post:
                    after[p] += 1
                target = tuple(after)
                if target not in index:
                    if len(markings) >= MAX_MARKINGS:
                        raise EventLogError(
                            f"{source}: the model has more than {MAX_MARKINGS} reachable states "
                            "(too much concurrency, or a gateway that never joins its tokens)"
                        )
                    index[target] = len(markings)
                    markings.append(target)
                    queue.append(target)
                edges.append((here, t, index[target]))
    return ReachabilityGraph(markings=markings, edges=edges)
