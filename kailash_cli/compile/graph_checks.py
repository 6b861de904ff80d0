"""Findings about a workflow's dependency graph: fallbacks (KV212, KV206 loops, and the outputs
a fallback stands in with) and cycles (KV207)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kailash_cli.compile.graph import Dependencies
from kailash_cli.load.yaml_io import Document
from kailash_cli.model.result import Problem
from kailash_cli.model.workflow import NodeSpec
from kailash_cli.nodes.registry import NODE_TYPES


def outputs_of(spec: NodeSpec) -> tuple[str, ...] | None:
    """The outputs a node gives (None: open, as a PythonCodeNode's); with foreach, ``result``
    is the list of per-item results."""
    node_type = NODE_TYPES.get(spec.type)
    outputs = node_type.outputs(spec.config) if node_type else None
    if outputs is not None and spec.foreach is not None:
        outputs = ("result", *(o for o in outputs if o != "result"))
    return outputs


def fallback_without(specs: Mapping[str, NodeSpec], node_id: str, output: str) -> tuple[str, str, str] | None:
    """The first fallback in ``node_id``'s chain that lacks ``output``: its id, type and outputs."""
    seen, current = {node_id}, specs[node_id].fallback
    while current is not None and current not in seen and current in specs:
        seen.add(current)
        spec = specs[current]
        outputs = outputs_of(spec)
        if outputs is not None and output not in outputs:
            return current, spec.type, ", ".join(outputs)
        current = spec.fallback
    return None


def graph_problems(doc: Document, nodes: Mapping[str, Any], deps: Dependencies) -> list[Problem]:
    """The problems of ``deps``, built from ``nodes`` (id -> the node as written) of ``doc``."""
    return [*_fallbacks(doc, nodes, deps), *_cycles(doc, deps)]


def _cycles(doc: Document, deps: Dependencies) -> list[Problem]:
    return [
        doc.problem(
            "KV207",
            f"cycle between nodes: {' -> '.join([*cycle, cycle[0]])}",
            ("nodes", cycle[0]),
            fix="remove one of the connections, depends_on entries or ${nodes...} references on this cycle",
            key=True,
        )
        for cycle in deps.cycles()
    ]


def _fallbacks(doc: Document, nodes: Mapping[str, Any], deps: Dependencies) -> list[Problem]:
    """A fallback runs only in its primary's place: nothing may connect to or from it."""
    problems = []
    named: dict[str, str] = {
        n["fallback"]: i
        for i, n in nodes.items()
        if isinstance(n, dict) and isinstance(n.get("fallback"), str)
    }
    for fallback, primary in named.items():
        if fallback in nodes and (deps.waits_for(fallback) or deps.waited_by(fallback)):
            problems.append(
                doc.problem(
                    "KV212",
                    f"node '{fallback}' is the fallback of '{primary}': it runs only in its "
                    "place, with its inputs, so it cannot have inputs or dependents of its own",
                    ("nodes", fallback),
                    fix=f"connect to and from '{primary}' instead",
                    key=True,
                )
            )
    looped: set[str] = set()
    for start in named.values():
        if start in looped:
            continue
        chain, current = [start], nodes[start].get("fallback")
        while isinstance(current, str) and current in nodes and current not in chain:
            chain.append(current)
            nxt = nodes[current]
            current = nxt.get("fallback") if isinstance(nxt, dict) else None
        if current == start and len(chain) > 1:  # a node naming itself is KV206 already
            looped.update(chain)
            problems.append(
                doc.problem(
                    "KV206",
                    f"fallback chain loops: {' -> '.join([*chain, start])}",
                    ("nodes", start, "fallback"),
                    fix="end the chain with a node without fallback",
                )
            )
    return problems
