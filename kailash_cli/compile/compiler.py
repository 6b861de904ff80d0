"""Workflow -> CompiledGraph: a networkx DiGraph plus what the engine needs per node.

Edges come from connections, ``depends_on`` and ``${nodes.X...}`` references. No
business logic lives here: the engine decides what runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from kailash_cli.compile.gcpause import gc_paused
from kailash_cli.engine.resilience import BreakerPolicy, RetryPolicy
from kailash_cli.model.expressions import Scope, Template, compile_value, parse_template, templates_in
from kailash_cli.model.workflow import Edge, NodeSpec, Workflow
from kailash_cli.nodes.base import NodeType
from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.schema import schemas


@dataclass(frozen=True, slots=True)
class CompiledNode:
    spec: NodeSpec
    node_type: NodeType
    defaults: Mapping[str, Any]
    config: Mapping[str, Any]
    resolve: Callable[[Scope], dict[str, Any]] | None
    when: Template | str | bool | None
    inputs: tuple[Edge, ...]
    data_deps: frozenset[str]
    order_deps: frozenset[str]
    successors: tuple[str, ...]
    fallback_only: bool
    retry: RetryPolicy | None = None
    breaker: BreakerPolicy | None = None

    @property
    def deps(self) -> frozenset[str]:
        return self.data_deps | self.order_deps


@dataclass(frozen=True, slots=True)
class CompiledGraph:
    workflow: Workflow
    graph: nx.DiGraph
    nodes: dict[str, CompiledNode]
    order: tuple[str, ...]


def node_refs(spec: NodeSpec) -> Iterator[tuple[str, ...]]:
    """Every name chain the node's expressions read (``("nodes", "read", "data")``, ...)."""
    templates = templates_in([NODE_TYPES[spec.type].templated(spec.config), spec.when])
    for template in templates:
        for expr in template.exprs:
            yield from expr.refs


def expression_deps(spec: NodeSpec) -> set[str]:
    return {r[1] for r in node_refs(spec) if r[0] == "nodes" and len(r) > 1}


def build_graph(workflow: Workflow) -> nx.DiGraph:
    graph = nx.DiGraph(name=workflow.name)
    fallbacks = {s.fallback for s in workflow.nodes.values() if s.fallback}
    for node_id, spec in workflow.nodes.items():
        graph.add_node(node_id, type=spec.type, fallback_only=node_id in fallbacks)
    for edge in workflow.edges:
        _add_edge(graph, edge.source, edge.target, "data", f"{'.'.join(edge.output)} -> {edge.param}")
    for node_id, spec in workflow.nodes.items():
        for dep in expression_deps(spec):
            _add_edge(graph, dep, node_id, "expr", "${nodes." + dep + "}")
        for dep in spec.depends_on:
            _add_edge(graph, dep, node_id, "order", "depends_on")
        if spec.fallback:
            graph.add_edge(node_id, spec.fallback, kinds={"fallback"}, labels=["fallback"])
    return graph


def _add_edge(graph: nx.DiGraph, source: str, target: str, kind: str, label: str) -> None:
    if graph.has_edge(source, target):
        data = graph.edges[source, target]
        data["kinds"].add(kind)
        data["labels"].append(label)
    else:
        graph.add_edge(source, target, kinds={kind}, labels=[label])


def find_cycles(deps: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle (in order) per strongly connected component that has one."""
    graph = nx.DiGraph()
    graph.add_nodes_from(deps)
    graph.add_edges_from((dep, node) for node, node_deps in deps.items() for dep in node_deps)
    position = {node: i for i, node in enumerate(deps)}
    cycles = []
    for component in nx.strongly_connected_components(graph):
        first = min(component, key=position.__getitem__)
        if len(component) == 1 and not graph.has_edge(first, first):
            continue
        edges = nx.find_cycle(graph.subgraph(component), source=first)
        cycles.append([edge[0] for edge in edges])
    return sorted(cycles, key=lambda cycle: position[cycle[0]])


@gc_paused()
def compile(workflow: Workflow) -> CompiledGraph:
    """Compile a validated workflow (validation has already ruled out cycles and bad refs)."""
    graph = build_graph(workflow)
    index = {node_id: i for i, node_id in enumerate(workflow.nodes)}
    order_graph = graph.copy()
    order_graph.remove_edges_from([(u, v) for u, v, k in graph.edges(data="kinds") if k == {"fallback"}])
    order = tuple(nx.lexicographical_topological_sort(order_graph, key=index.__getitem__))
    incoming: dict[str, list[Edge]] = {node_id: [] for node_id in workflow.nodes}
    for edge in workflow.edges:
        incoming[edge.target].append(edge)
    nodes = {}
    for node_id, spec in workflow.nodes.items():
        node_type = NODE_TYPES[spec.type]
        kinds = {u: data["kinds"] for u, data in order_graph.pred[node_id].items()}
        when = parse_template(spec.when) if isinstance(spec.when, str) else spec.when
        nodes[node_id] = CompiledNode(
            spec=spec,
            node_type=node_type,
            defaults=schemas.property_defaults(node_type.schema_name),
            config=spec.config,
            resolve=compile_value(node_type.templated(spec.config)),
            when=when,
            inputs=tuple(incoming[node_id]),
            data_deps=frozenset(u for u, k in kinds.items() if k & {"data", "expr"}),
            order_deps=frozenset(u for u, k in kinds.items() if not k & {"data", "expr"}),
            successors=tuple(order_graph.succ[node_id]),
            fallback_only=graph.nodes[node_id]["fallback_only"],
            retry=RetryPolicy.from_spec(spec.retry),
            breaker=BreakerPolicy.from_spec(spec.circuit_breaker),
        )
    return CompiledGraph(workflow=workflow, graph=graph, nodes=nodes, order=order)
