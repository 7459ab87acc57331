"""BPMN 2.0 XML (as common modelers draw it) into a workflow net.

The usual translation (Dijkman, Dumas and Ouyang, 2008): a task is a transition labelled
with its name; gateways, start and end events are silent transitions. Exclusive (and
event-based) gateways choose one flow, parallel gateways take and give a token on every
flow; a task with several incoming flows merges them (XOR) and with several outgoing flows
starts them all (AND), as BPMN says. Loops are back edges. Inclusive gateways are refused:
their join needs non-local semantics.

Drawn as: each node has an entry and an exit place (a parallel gateway, and an AND split,
one place per flow instead) and its transition between them; each sequence flow is a silent
transition from its source's exit to its target's entry; then `fuse_passing` removes the
silent transitions whose place before (or after) only passes the token on. The result has
the silent transitions pm4py's own BPMN conversion has (observed on its output for the
reference model, a hand-drawn loop and the inductive miner's model of the billing log; its
source was not read), so the standard costs count the same silent moves.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from upflux_etl.mining.errors import EventLogError
from upflux_etl.mining.petri import PetriNet
from upflux_etl.mining.reduce import fuse_passing, reduce_silent

TASKS = {
    "task",
    "userTask",
    "serviceTask",
    "manualTask",
    "scriptTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
}
PASS_THROUGH = {"intermediateThrowEvent", "intermediateCatchEvent"}
XOR = {"exclusiveGateway", "eventBasedGateway"}
SOURCE, SINK = "source", "sink"


@dataclass(frozen=True)
class Model:
    """A reference model: its net, markings and a digest that names its version."""

    net: PetriNet
    initial: tuple[int, ...]
    final: tuple[int, ...]
    digest: str
    source: str


def read_bpmn(path: Path) -> Model:
    """Read a BPMN 2.0 file into a workflow net (source place -> sink place).

    Raises:
        EventLogError: not BPMN, no process, or an element this translation refuses (named).
    """
    data, drawn = _read(path)
    net = reduce_silent(drawn, keep={drawn.place(SOURCE), drawn.place(SINK)})
    return Model(
        net=net,
        initial=net.marking({SOURCE: 1}),
        final=net.marking({SINK: 1}),
        digest=hashlib.sha256(data).hexdigest()[:16],
        source=str(path),
    )


def drawn_net(path: Path) -> PetriNet:
    """The BPMN file's net before `reduce_silent`: the one whose silent moves are counted.

    Its silent transitions are those pm4py's BPMN conversion draws (see the module doc).

    Raises:
        EventLogError: as `read_bpmn`.
    """
    return _read(path)[1]


def _read(path: Path) -> tuple[bytes, PetriNet]:
    try:
        data = path.read_bytes()
        root = ET.fromstring(data)
    except (OSError, ET.ParseError) as exc:
        raise EventLogError(f"{path}: not a readable BPMN XML file: {exc}") from exc
    process = next((e for e in root.iter() if _local(e.tag) == "process"), None)
    if process is None:
        raise EventLogError(f"{path}: no <process> element")
    return data, _translate(process, str(path))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _translate(process: ET.Element, source: str) -> PetriNet:
    nodes: dict[str, tuple[str, str]] = {}
    flows: list[tuple[str, str, str]] = []
    for element in process.iter():
        kind = _local(element.tag)
        if kind == "sequenceFlow":
            flow, src, dst = element.get("id"), element.get("sourceRef"), element.get("targetRef")
            if not (flow and src and dst):
                raise EventLogError(f"{source}: sequenceFlow {flow!r} without source or target")
            flows.append((flow, src, dst))
        elif kind in TASKS | PASS_THROUGH | XOR | {"startEvent", "endEvent", "parallelGateway"}:
            node_id = element.get("id") or ""
            nodes[node_id] = (kind, (element.get("name") or "").strip())
            if kind in TASKS and not nodes[node_id][1]:
                raise EventLogError(f"{source}: {kind} {node_id!r} has no name (its activity)")
        elif kind == "inclusiveGateway" or kind == "complexGateway":
            raise EventLogError(
                f"{source}: {kind} {element.get('id')!r} is not supported (use exclusive or "
                "parallel gateways)"
            )
    if not any(kind == "startEvent" for kind, _ in nodes.values()):
        raise EventLogError(f"{source}: the process has no startEvent")
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for flow, src, dst in flows:
        outgoing.setdefault(src, []).append(flow)
        incoming.setdefault(dst, []).append(flow)
    # A node's entry and exit places; "and" marks the nodes whose flows are their own places.
    entry: dict[str, str] = {}
    exit_: dict[str, str] = {}
    per_flow_in: set[str] = set()
    per_flow_out: set[str] = set()
    net = PetriNet()
    net.place(SOURCE)
    net.place(SINK)
    for node_id, (kind, name) in nodes.items():
        ins, outs = incoming.get(node_id, []), outgoing.get(node_id, [])
        pre = [f"in:{node_id}"] if ins else [SOURCE]
        post = [f"out:{node_id}"] if outs else [SINK]
        if kind == "parallelGateway" or (len(outs) > 1 and kind not in XOR):
            post = [f"flow:{f}" for f in outs] or [SINK]  # AND split (a task's too)
            per_flow_out.add(node_id)
        if kind == "parallelGateway" and ins:
            pre = [f"flow:{f}" for f in ins]
            per_flow_in.add(node_id)
        if kind == "startEvent":
            pre = [SOURCE]
        if kind == "endEvent":
            post = [SINK]
        entry[node_id], exit_[node_id] = pre[0], post[0]
        net.add(name if kind in TASKS else None, pre, post)
    for flow, src, dst in flows:
        begin = f"flow:{flow}" if src in per_flow_out or src not in nodes else exit_[src]
        end = f"flow:{flow}" if dst in per_flow_in or dst not in nodes else entry[dst]
        if begin != end:
            net.add(None, [begin], [end])
    return fuse_passing(net, keep={net.place(SOURCE), net.place(SINK)})
