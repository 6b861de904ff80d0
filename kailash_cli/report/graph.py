"""A compiled workflow graph drawn as mermaid, dot or ascii (``kailash graph``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # networkx is loaded by whoever built the graph, not by importing this
    import networkx as nx


def _label(graph: nx.DiGraph, u: str, v: str) -> str:
    return ", ".join(graph.edges[u, v]["labels"])


def _mermaid_id(node: str) -> str:
    return f"{node}_node" if node == "end" else node  # `end` is a mermaid keyword


def mermaid(graph: nx.DiGraph) -> str:
    lines = ["flowchart TD"]
    for node, data in graph.nodes(data=True):
        lines.append(f'  {_mermaid_id(node)}["{node}<br/><small>{data["type"]}</small>"]')
    for u, v, data in graph.edges(data=True):
        arrow = "-.->" if data["kinds"] <= {"order", "fallback"} else "-->"
        label = _label(graph, u, v).replace('"', "'")
        lines.append(f'  {_mermaid_id(u)} {arrow}|"{label}"| {_mermaid_id(v)}')
    return "\n".join(lines)


def dot(graph: nx.DiGraph) -> str:
    lines = [
        f"digraph {json.dumps(graph.graph.get('name', 'workflow'))} {{",
        "  rankdir=LR;",
        "  node [shape=box, style=rounded];",
    ]
    for node, data in graph.nodes(data=True):
        lines.append(f"  {json.dumps(node)} [label={json.dumps(node + chr(10) + data['type'])}];")
    for u, v, data in graph.edges(data=True):
        style = ", style=dashed" if data["kinds"] <= {"order", "fallback"} else ""
        label = json.dumps(_label(graph, u, v))
        lines.append(f"  {json.dumps(u)} -> {json.dumps(v)} [label={label}{style}];")
    lines.append("}")
    return "\n".join(lines)


def ascii_view(graph: nx.DiGraph) -> str:
    import networkx as nx

    fallbacks = [n for n, only in graph.nodes(data="fallback_only") if only]
    order_graph = nx.DiGraph((u, v) for u, v, k in graph.edges(data="kinds") if k != {"fallback"})
    order_graph.add_nodes_from(n for n in graph.nodes if n not in fallbacks)
    order_graph.remove_nodes_from(fallbacks)
    lines = [
        f"{graph.graph.get('name', 'workflow')}: {graph.number_of_nodes()} nodes, "
        f"{graph.number_of_edges()} edges"
    ]
    index = {node: i for i, node in enumerate(graph.nodes)}
    for stage, generation in enumerate(nx.topological_generations(order_graph), start=1):
        lines.append(f"stage {stage}")
        lines.extend(_ascii_node(graph, node) for node in sorted(generation, key=index.__getitem__))
    if fallbacks:
        lines.append("fallbacks (run only in place of a failed node)")
        lines.extend(_ascii_node(graph, node) for node in fallbacks)
    return "\n".join(lines)


def _ascii_node(graph: nx.DiGraph, node: str) -> str:
    lines = [f"  {node} [{graph.nodes[node]['type']}]"]
    lines.extend(f"    <- {pred}: {_label(graph, pred, node)}" for pred in graph.predecessors(node))
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[nx.DiGraph], str]] = {"mermaid": mermaid, "dot": dot, "ascii": ascii_view}
