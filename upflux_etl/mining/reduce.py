"""Remove silent transitions that only pass a token on, keeping the visible language.

Two fusion rules of Murata (1989), for a silent transition t:
- t is the only consumer of its single input place p: whoever produces p produces t's
  outputs instead (p and t go);
- t is the only producer of its single output place q: whoever consumes q consumes t's
  inputs instead (q and t go).
The source and sink places stay. Every run of one net is a run of the other with t's firings
added or removed, so optimal alignments are the same, while the reachability graph loses the
interleavings of those silent steps. A fused transition adds t's `silent` count to its own
(t fires exactly once with it in some optimal run: t's tokens can only come from, or go to,
the transitions it was fused into, and a complete run leaves the inner place empty), so the
standard cost function's silent moves are counted as in the drawn net.
"""

from __future__ import annotations

from upflux_etl.mining.petri import PetriNet, Transition


def fuse_passing(net: PetriNet, keep: set[int]) -> PetriNet:
    """Drop the silent transitions whose place before or after only passes a token on.

    A silent t goes when its one place before has one producer and t as its only consumer
    (the producer then produces t's outputs), or its one place after has t as its only
    producer and one consumer (which then consumes t's inputs); until none is left. Unlike `reduce_silent`, the dropped transitions are not counted (their `silent` is lost):
    this finishes drawing the net, it is not a reduction of a drawn one.
    """
    transitions = list(net.transitions)
    changed = True
    while changed:
        changed = False
        for i, t in enumerate(transitions):
            if t.label is not None:
                continue
            others = transitions[:i] + transitions[i + 1 :]
            if len(t.pre) == 1 and t.pre[0] not in keep and t.pre[0] not in t.post:
                p = t.pre[0]
                if sum(p in u.post for u in others) == 1 and not any(p in u.pre for u in others):
                    transitions = [
                        Transition(u.label, u.pre, _replace(u.post, p, t.post), u.silent)
                        if p in u.post
                        else u
                        for u in others
                    ]
                    changed = True
                    break
            if len(t.post) == 1 and t.post[0] not in keep and t.post[0] not in t.pre:
                q = t.post[0]
                if sum(q in u.pre for u in others) == 1 and not any(q in u.post for u in others):
                    transitions = [
                        Transition(u.label, _replace(u.pre, q, t.pre), u.post, u.silent)
                        if q in u.pre
                        else u
                        for u in others
                    ]
                    changed = True
                    break
    return _rebuild(net, transitions, keep)


def reduce_silent(net: PetriNet, keep: set[int]) -> PetriNet:
    """A smaller net with the same visible behaviour; places in `keep` are never removed."""
    transitions = list(net.transitions)
    changed = True
    while changed:
        changed = False
        for i, t in enumerate(transitions):
            if t.label is not None or len(set(t.pre)) != len(t.pre):
                continue
            fused = _fuse(transitions, i, keep)
            if fused is not None:
                transitions = fused
                changed = True
                break
    return _rebuild(net, transitions, keep)


def _fuse(transitions: list[Transition], i: int, keep: set[int]) -> list[Transition] | None:
    t = transitions[i]
    others = transitions[:i] + transitions[i + 1 :]
    if len(t.pre) == 1 and t.pre[0] not in keep and t.pre[0] not in t.post:
        p = t.pre[0]
        if not any(p in u.pre for u in others):
            return [
                Transition(u.label, u.pre, _replace(u.post, p, t.post), u.silent + t.silent)
                if p in u.post
                else u
                for u in others
            ]
    if len(t.post) == 1 and t.post[0] not in keep and t.post[0] not in t.pre:
        q = t.post[0]
        if not any(q in u.post for u in others) and all(u.pre.count(q) <= 1 for u in others):
            return [
                Transition(u.label, _replace(u.pre, q, t.pre), u.post, u.silent + t.silent)
                if q in u.pre
                else u
                for u in others
            ]
    return None


def _replace(places: tuple[int, ...], old: int, new: tuple[int, ...]) -> tuple[int, ...]:
    out = list(places)
    out.remove(old)
    return tuple(sorted(out + list(new)))


def _rebuild(net: PetriNet, transitions: list[Transition], keep: set[int]) -> PetriNet:
    used = sorted(keep | {p for t in transitions for p in t.pre + t.post})
    index = {p: i for i, p in enumerate(used)}
    cheapest: dict[tuple[str | None, tuple[int, ...], tuple[int, ...]], Transition] = {}
    for t in transitions:
        new = Transition(
            t.label, tuple(index[p] for p in t.pre), tuple(index[p] for p in t.post), t.silent
        )
        key = (new.label, new.pre, new.post)
        if new.label is None and sorted(new.pre) == sorted(new.post):
            continue  # a silent loop changes nothing and only costs
        if key not in cheapest or new.silent < cheapest[key].silent:
            cheapest[key] = new
    return PetriNet(places=[net.places[p] for p in used], transitions=list(cheapest.values()))
