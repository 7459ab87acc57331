"""Small BPMN 2.0 files for the mining tests, as a modeler would save them (no diagram)."""

from __future__ import annotations

import itertools
from pathlib import Path
from xml.sax.saxutils import quoteattr

NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def write_bpmn(path: Path, nodes: dict[str, tuple[str, str]], flows: list[tuple[str, str]]) -> Path:
    """nodes: id -> (element, name), e.g. "t1": ("task", "triage"); flows: (source, target)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<definitions xmlns="{NS}" id="d" targetNamespace="http://upflux.test/bpmn">',
        '  <process id="p" isExecutable="false">',
    ]
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for i, (src, dst) in enumerate(flows):
        outgoing.setdefault(src, []).append(f"f{i}")
        incoming.setdefault(dst, []).append(f"f{i}")
    for node_id, (element, name) in nodes.items():
        lines.append(f'    <{element} id="{node_id}" name={quoteattr(name)}>')
        lines += [f"      <incoming>{f}</incoming>" for f in incoming.get(node_id, [])]
        lines += [f"      <outgoing>{f}</outgoing>" for f in outgoing.get(node_id, [])]
        lines.append(f"    </{element}>")
    for i, (src, dst) in enumerate(flows):
        lines.append(f'    <sequenceFlow id="f{i}" sourceRef="{src}" targetRef="{dst}"/>')
    lines += ["  </process>", "</definitions>"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def chain(*names: str) -> list[tuple[str, str]]:
    """Flows along a sequence of node ids."""
    return list(itertools.pairwise(names))
