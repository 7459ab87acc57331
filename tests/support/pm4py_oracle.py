"""pm4py (AGPL-3.0, test-only extra) as the independent implementation the mining tests use.

Its alignments use costs 10000 per log or visible model move and 1 per silent move, and its
"log_fitness" counts those silent moves, so it depends on the net's silent transitions: our
`fitness` equals it on the net pm4py reads from the BPMN file and on our drawn net
(`raw_log_fitness_on`). The silent-free number (our `fitness_deviations`) is recovered from
its alignments by integer division by 10000 (docs/DECISIONS.md).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

STD = 10000


def pm4py():
    with contextlib.redirect_stdout(io.StringIO()):  # its import prints a licence banner
        import pm4py as module
    return module


def frame(traces: list[tuple[str, list[str]]]) -> pd.DataFrame:
    """An event frame from (case, activities) with one minute between events."""
    start = pd.Timestamp("2024-01-01", tz="UTC")
    rows = [
        {
            "case:concept:name": case,
            "concept:name": activity,
            "time:timestamp": start + pd.Timedelta(minutes=i),
        }
        for case, activities in traces
        for i, activity in enumerate(activities)
    ]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Pm4pyConformance:
    fitness: float
    raw_log_fitness: float
    fitting_share: float
    by_variant: dict[tuple[str, ...], tuple[int, int]]  # deviations, worst case


def raw_log_fitness_on(events: pd.DataFrame, drawn) -> float:
    """pm4py's `fitness_alignments` "log_fitness" of `events` on our net `drawn` (a PetriNet
    from `upflux_etl.mining.bpmn.drawn_net`, source place -> sink place)."""
    pm = pm4py()
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils import petri_utils

    net = PetriNet("drawn")
    places = [PetriNet.Place(f"p{i}") for i in range(len(drawn.places))]
    for place in places:
        net.places.add(place)
    for i, t in enumerate(drawn.transitions):
        transition = PetriNet.Transition(f"t{i}", t.label)
        net.transitions.add(transition)
        for p in t.pre:
            petri_utils.add_arc_from_to(places[p], transition, net)
        for p in t.post:
            petri_utils.add_arc_from_to(transition, places[p], net)
    im = Marking({places[drawn.place("source")]: 1})
    fm = Marking({places[drawn.place("sink")]: 1})
    log = pm.convert_to_event_log(events)
    return pm.fitness_alignments(log, net, im, fm)["log_fitness"]


def conformance(events: pd.DataFrame, bpmn: Path) -> Pm4pyConformance:
    """pm4py's alignments of every case of `events` with the BPMN file read by pm4py."""
    pm = pm4py()
    net, im, fm = pm.convert_to_petri_net(pm.read_bpmn(str(bpmn)))
    log = pm.convert_to_event_log(events)
    alignments = pm.conformance_diagnostics_alignments(log, net, im, fm)
    raw = pm.fitness_alignments(log, net, im, fm)
    traces = [tuple(event["concept:name"] for event in trace) for trace in log]
    by_variant = {
        trace: (a["cost"] // STD, a["bwc"] // STD)
        for trace, a in zip(traces, alignments, strict=True)
    }
    deviations = sum(a["cost"] // STD for a in alignments)
    worst = sum(a["bwc"] // STD for a in alignments)
    return Pm4pyConformance(
        fitness=1 - deviations / worst,
        raw_log_fitness=raw["log_fitness"],
        fitting_share=raw["percentage_of_fitting_traces"] / 100,
        by_variant=by_variant,
    )
