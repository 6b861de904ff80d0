"""``run --dry-run``: the plan, with every parameter resolved that can be without running."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import networkx as nx

from kailash_cli.compiler import CompiledGraph
from kailash_cli.expressions import ExpressionError, Scope, compile_value


def _resolve(value: Any, scope: Scope) -> Any:
    resolver = compile_value(value)
    if resolver is None:
        return value
    try:
        return resolver(scope)
    except ExpressionError:
        return value  # needs a node's output: shown as written


def plan(compiled: CompiledGraph, params: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    scope = Scope({"params": params, "env": dict(environ), "secrets": {}, "nodes": {},
                   "run": {"id": "<run id>", "started_at": "<start time>",
                           "workflow": compiled.workflow.name}}, environ)
    graph = compiled.graph.copy()
    graph.remove_edges_from([(u, v) for u, v, k in compiled.graph.edges(data="kinds") if k == {"fallback"}])
    stage_of = {n: i for i, gen in enumerate(nx.topological_generations(graph), 1) for n in gen}
    nodes = []
    for node_id in compiled.order:
        node = compiled.nodes[node_id]
        literal = node.node_type.literal_params
        config = {k: v if k in literal else _resolve(v, scope)
                  for k, v in {**node.defaults, **node.config}.items()}
        nodes.append({
            "id": node_id, "type": node.spec.type, "stage": stage_of[node_id],
            "after": sorted(node.deps), "params": config,
            "inputs": {e.param: f"{e.source}.{'.'.join(e.output)}" for e in node.inputs},
            "when": node.spec.when, "fallback_only": node.fallback_only,
        })
    return {"workflow": compiled.workflow.name, "params": params, "nodes": nodes}


def render_plan(document: dict[str, Any], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(document, indent=2, default=str)
    lines = [f"plan for {document['workflow']} (dry run: nothing is executed)",
             f"params: {json.dumps(document['params'], default=str)}"]
    for node in document["nodes"]:
        extra = " (fallback only)" if node["fallback_only"] else ""
        lines.append(f"stage {node['stage']}: {node['id']} [{node['type']}]{extra}")
        if node["after"]:
            lines.append(f"    after:  {', '.join(node['after'])}")
        if node["when"] is not None:
            lines.append(f"    when:   {node['when']}")
        for name, value in node["params"].items():
            lines.append(f"    {name} = {json.dumps(value, default=str)}")
        for name, source in node["inputs"].items():
            lines.append(f"    {name} <- {source}")
    return "\n".join(lines)
