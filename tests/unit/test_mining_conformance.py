"""Alignments and fitness on hand-built models, against hand-computed values and pm4py."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support import pm4py_oracle
from tests.support.bpmn import chain, write_bpmn
from upflux_etl.mining.bpmn import drawn_net, read_bpmn
from upflux_etl.mining.conformance import conformance
from upflux_etl.mining.errors import EventLogError
from upflux_etl.mining.eventlog import EventLog
from upflux_etl.mining.read import read_event_log
from upflux_etl.mining.variants import variants

START, END = ("startEvent", ""), ("endEvent", "")


def _parallel_loop(tmp_path):
    """a, then b and c in parallel, then an optional d (XOR) that may loop back to a."""
    nodes = {
        "s": START,
        "a": ("task", "a"),
        "split": ("parallelGateway", ""),
        "b": ("task", "b"),
        "c": ("task", "c"),
        "join": ("parallelGateway", ""),
        "x1": ("exclusiveGateway", ""),
        "d": ("task", "d"),
        "x2": ("exclusiveGateway", ""),
        "loop": ("exclusiveGateway", ""),
        "e": END,
    }
    flows = chain("s", "loop", "a", "split", "b", "join", "x1", "d", "x2", "e")
    flows += [("split", "c"), ("c", "join"), ("x1", "x2"), ("x2", "loop")]
    return write_bpmn(tmp_path / "parallel_loop.bpmn", nodes, flows)


TRACES = [
    ("1", list("abcd")),  # fits
    ("2", list("acb")),  # fits: d skipped by the XOR (a silent path)
    ("3", list("abcdacbd")),  # fits: the loop taken once
    ("4", list("abd")),  # c missing: one model move
    ("5", list("abxcd")),  # x unknown to the model: one log move
    ("6", list("bcd")),  # a missing
    ("7", list("dcba")),  # reversed
    ("8", []),  # placeholder, removed below
    ("NA", list("abcd")),  # a case named NA is a case
]


def _log(tmp_path, traces) -> EventLog:
    events = pm4py_oracle.frame([t for t in traces if t[1]])
    path = tmp_path / "log.csv"
    events.to_csv(path, index=False)
    return read_event_log(path)


def test_fitting_and_deviating_traces_by_hand(tmp_path):
    model = read_bpmn(_parallel_loop(tmp_path))
    log = _log(tmp_path, TRACES)
    found = variants(log)
    result = conformance(found, model)
    by_variant = dict(zip(found.sequences, result.alignments, strict=True))
    # The shortest complete run is a, b, c: worst case = trace length + 3.
    assert by_variant[tuple("abcd")].deviations == 0
    assert by_variant[tuple("acb")].deviations == 0
    assert by_variant[tuple("abcdacbd")].deviations == 0
    assert by_variant[tuple("abd")].deviations == 1
    assert by_variant[tuple("abd")].model_moves == ("c",)
    assert by_variant[tuple("abxcd")].log_moves == ("x",)
    assert by_variant[tuple("bcd")].model_moves == ("a",)
    assert by_variant[tuple("abcd")].worst == 4 + 3
    assert log.n_cases == 8
    assert result.fitting_share == pytest.approx(4 / 8)
    deviations = sum(by_variant[tuple(t)].deviations for _, t in TRACES if t)
    worst = sum(len(t) + 3 for _, t in TRACES if t)
    assert result.fitness_deviations == pytest.approx(1 - deviations / worst)
    # Standard costs: 10000 per deviation plus 1 per silent step of the drawn net.
    cost = sum(by_variant[tuple(t)].cost for _, t in TRACES if t)
    worst_cost = sum(by_variant[tuple(t)].worst_cost for _, t in TRACES if t)
    assert by_variant[tuple("abd")].cost // 10000 == 1 and by_variant[tuple("abd")].cost % 10000
    # a, c, b fits and is a cheapest complete run: its cost is that run's silent steps.
    cheapest = by_variant[tuple("acb")].cost
    assert 0 < cheapest < 10000 and by_variant[tuple("abcd")].worst_cost == 70000 + cheapest
    assert result.fitness == pytest.approx(1 - cost / worst_cost)
    assert result.fitness < result.fitness_deviations


def test_equals_pm4py_on_parallel_loop_xor_and_silent_paths(tmp_path):
    bpmn = _parallel_loop(tmp_path)
    log = _log(tmp_path, TRACES)
    found = variants(log)
    ours = conformance(found, read_bpmn(bpmn))
    theirs = pm4py_oracle.conformance(pm4py_oracle.frame([t for t in TRACES if t[1]]), bpmn)
    for sequence, alignment in zip(found.sequences, ours.alignments, strict=True):
        assert (alignment.deviations, alignment.worst) == theirs.by_variant[sequence], sequence
    assert abs(ours.fitness_deviations - theirs.fitness) < 1e-9
    assert ours.fitting_share == pytest.approx(theirs.fitting_share)
    # pm4py's own log_fitness (silent moves cost 1 against 10000) on the net it reads from
    # the BPMN file, and on our drawn net: equal to ours.
    assert abs(ours.fitness - theirs.raw_log_fitness) < 1e-9
    frame = pm4py_oracle.frame([t for t in TRACES if t[1]])
    assert abs(ours.fitness - pm4py_oracle.raw_log_fitness_on(frame, drawn_net(bpmn))) < 1e-9
    assert ours.fitness < ours.fitness_deviations


def test_equals_pm4py_on_random_traces(tmp_path):
    bpmn = _parallel_loop(tmp_path)
    rng = np.random.default_rng(7)
    traces = [
        (f"c{i}", list(rng.choice(list("abcdx"), size=rng.integers(1, 9)))) for i in range(120)
    ]
    found = variants(_log(tmp_path, traces))
    ours = conformance(found, read_bpmn(bpmn))
    theirs = pm4py_oracle.conformance(pm4py_oracle.frame(traces), bpmn)
    for sequence, alignment in zip(found.sequences, ours.alignments, strict=True):
        assert (alignment.deviations, alignment.worst) == theirs.by_variant[sequence], sequence
    assert abs(ours.fitness_deviations - theirs.fitness) < 1e-9
    assert abs(ours.fitness - theirs.raw_log_fitness) < 1e-9


def test_alignments_are_cached_per_model_version_and_variant(tmp_path):
    bpmn = _parallel_loop(tmp_path)
    cache: dict = {}
    first = variants(_log(tmp_path, TRACES[:3]))
    assert conformance(first, read_bpmn(bpmn), cache).aligned_now == 3
    more = variants(_log(tmp_path, TRACES[:5]))
    again = conformance(more, read_bpmn(bpmn), cache)
    assert again.aligned_now == 2  # only the two new variants
    bpmn.write_text(bpmn.read_text().replace('name="d"', 'name="D"'))
    assert conformance(more, read_bpmn(bpmn), cache).aligned_now == 5  # a new model version


def test_a_task_may_merge_flows_and_start_parallel_ones(tmp_path):
    # BPMN: a task with two incoming flows merges them; with two outgoing ones starts both.
    nodes = {"s": START, "a": ("task", "a"), "b": ("task", "b"), "c": ("task", "c")}
    nodes |= {"j": ("parallelGateway", ""), "e": END}
    flows = [("s", "a"), ("a", "b"), ("a", "c"), ("b", "j"), ("c", "j"), ("j", "e")]
    model = read_bpmn(write_bpmn(tmp_path / "m.bpmn", nodes, flows))
    found = variants(_log(tmp_path, [("1", list("acb")), ("2", list("ab"))]))
    result = conformance(found, model)
    assert [a.deviations for a in result.alignments] == [0, 1]


def test_unsupported_or_broken_models_are_named(tmp_path):
    nodes = {"s": START, "g": ("inclusiveGateway", ""), "e": END}
    path = write_bpmn(tmp_path / "or.bpmn", nodes, chain("s", "g", "e"))
    with pytest.raises(EventLogError, match=r"or\.bpmn: inclusiveGateway 'g' is not supported"):
        read_bpmn(path)
    nameless = write_bpmn(
        tmp_path / "n.bpmn", {"s": START, "t": ("task", ""), "e": END}, chain("s", "t", "e")
    )
    with pytest.raises(EventLogError, match=r"n\.bpmn: task 't' has no name"):
        read_bpmn(nameless)
    (tmp_path / "x.bpmn").write_text("not xml")
    with pytest.raises(EventLogError, match=r"x\.bpmn: not a readable BPMN"):
        read_bpmn(tmp_path / "x.bpmn")


def test_per_case_deviations_and_monthly_rate(tmp_path):
    from upflux_etl.mining.conformance import case_table, monthly_rate
    from upflux_etl.mining.summary import summarise

    log = _log(tmp_path, TRACES)
    summary = summarise(log, read_bpmn(_parallel_loop(tmp_path)), between=("a", "d"))
    cases = summary.cases().set_index("case")
    assert cases.loc["4", "deviations"] == 1 and cases.loc["4", "model_moves"] == "c"
    assert cases.loc["5", "log_moves"] == "x" and cases.loc["NA", "fitness"] == 1.0
    assert monthly_rate(cases) == {"2024-01": 0.5}
    payload = summary.to_json()
    assert payload["fitting_cases_by_month"] == {"2024-01": 0.5}
    assert payload["throughput_seconds"]["count"] == 5  # cases with an a and then a d
    assert case_table(log, summary.variants, summary.conformance).shape[0] == 8


def test_long_variants_step_each_layer_shape_once_with_the_costs_of_every_layer(tmp_path):
    """Layers kept as shape + minimum: the alignments of stepping every layer, far fewer steps."""
    from upflux_etl.mining.alignments import Aligner

    aligner = Aligner(read_bpmn(_parallel_loop(tmp_path)))
    rng = np.random.default_rng(11)
    traces = sorted(
        {tuple(rng.choice(list("abcdx"), size=rng.integers(0, 60))) for _ in range(300)}
        | {tuple("abcd" * 12), tuple("x" * 40), tuple("abcdacbd")}
    )
    steps = []
    step = aligner._step

    def counted(layer, activity):
        steps.append(activity)
        return step(layer, activity)

    aligner._step = counted
    aligned = aligner.align(traces)
    aligner._step = step
    for trace, alignment in zip(traces, aligned, strict=True):
        layers = [aligner.distance[0].copy()]
        for activity in trace:
            layers.append(step(layers[-1], activity))
        cost = int(layers[-1][aligner.final])
        assert alignment.cost == cost, trace
        assert alignment.deviations == cost // 10000
        if alignment.deviations:

            def back(i, marking, trace=trace, layers=layers):
                return aligner._back(layers[i - 1], layers[i][marking], trace[i - 1], marking)

            assert (alignment.log_moves, alignment.model_moves) == aligner._moves(trace, back)
    assert len(steps) < sum(len(t) for t in traces) / 2
    steps.clear()
    aligner._step = counted
    (unknown,) = aligner.align([tuple("x" * 200)])  # an activity the model lacks, 200 times
    assert (unknown.deviations, len(steps)) == (200 + aligner.shortest_run, 1)
