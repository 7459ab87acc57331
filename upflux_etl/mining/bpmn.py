"""BPMN 2.0 XML (as common modelers draw it) into a workflow net.

The usual translation (Dijkman, Dumas and Ouyang, 2008): each sequence flow is a place; a
task is a transition labelled with its name; gateways, start and end events are silent
transitions. Exclusive (and event-based) gateways choose one flow, parallel gateways take
and give a token on every flow; a task with several incoming flows merges them (XOR) and
with several outgoing flows starts them all (AND), as BPMN says. Loops are back edges.
Inclusive gateways are refused: their join needs non-local semantics.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from upflux_etl.mining.errors import EventLogError
from upflux_etl.mining.petri import PetriNet
from upflux_etl.mining.reduce import reduce_silent

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
    try:
        data = path.read_bytes()
        root = ET.fromstring(data)
    except (OSError, ET.ParseError) as exc:
        raise EventLogError(f"{path}: not a readable BPMN XML file: {exc}") from exc
    process = next((e for e in root.iter() if _local(e.tag) == "process"), None)
    if process is None:
        raise EventLogError(f"{path}: no <process> element")
    drawn = _translate(process, str(path))
    net = reduce_silent(drawn, keep={drawn.place(SOURCE), drawn.place(SINK)})
    return Model(
        net=net,
        initial=net.marking({SOURCE: 1}),
        final=net.marking({SINK: 1}),
        digest=hashlib.sha256(data).hexdigest()[:16],
        source=str(path),
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _translate(process: ET.Element, source: str) -> PetriNet:
    nodes: dict[str, tuple[str, str]] = {}
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for element in process.iter():
        kind = _local(element.tag)
        if kind == "sequenceFlow":
            flow, src, dst = element.get("id"), element.get("sourceRef"), element.get("targetRef")
            if not (flow and src and dst):
                raise EventLogError(f"{source}: sequenceFlow {flow!r} without source or target")
            outgoing.setdefault(src, []).append(f"flow:{flow}")
            incoming.setdefault(dst, []).append(f"flow:{flow}")
        elif kind in TASKS | PASS_THROUGH | XOR | {"startEvent", "endEvent", "parallelGateway"}:
            node_id = element.get("id") or ""
            nodes[node_id] = (kind, (element.get("name") or "").strip())
        elif kind == "inclusiveGateway" or kind == "complexGateway":
            raise EventLogError(
                f"{source}: {kind} {element.get('id')!r} is not supported (use exclusive or "
                "parallel gateways)"
            )
    if not any(kind == "startEvent" for kind, _ in nodes.values()):
        raise EventLogError(f"{source}: the process has no startEvent")
    net = PetriNet()
    net.place(SOURCE)
    net.place(SINK)
    for node_id, (kind, name) in nodes.items():
        ins, outs = incoming.get(node_id, []), outgoing.get(node_id, [])
        _node(net, node_id, kind, name, ins, outs, source)
    return net


def _node(
    net: PetriNet, node_id: str, kind: str, name: str, ins: list[str], outs: list[str], source: str
) -> None:
    if kind == "startEvent":
        net.add(None, [SOURCE], outs or [SINK])
    elif kind == "endEvent":
        for flow in ins:
            net.add(None, [flow], [SINK])
    elif kind == "parallelGateway":
        net.add(None, ins or [SOURCE], outs or [SINK])
    elif kind in XOR:
        hub = f"node:{node_id}"
        for flow in ins or [SOURCE]:
            net.add(None, [flow], [hub])
        for flow in outs or [SINK]:
            net.add(None, [hub], [flow])
    else:
        if kind in TASKS and not name:
            raise EventLogError(f"{source}: {kind} {node_id!r} has no name (its activity)")
        label = name if kind in TASKS else None
        entry = ins[0] if len(ins) == 1 else f"node:{node_id}"
        if len(ins) != 1:
            for flow in ins or [SOURCE]:
                net.add(None, [flow], [entry])
        net.add(label, [entry], outs or [SINK])
