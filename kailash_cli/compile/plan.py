"""``run --dry-run``: the plan, with every parameter resolved that can be without running."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kailash_cli.compile.compiler import CompiledGraph
from kailash_cli.model.evaluation import Scope, evaluate
from kailash_cli.model.expressions import Expr, ExpressionError, Template, parse_template


def _resolve(value: Any, scope: Scope) -> Any:
    """``value`` with what can be resolved now; what cannot (node outputs, secrets) kept as written.

    In a string with several parts each ``${...}`` is resolved on its own, so one that
    must wait does not hide the others.
    """
    if isinstance(value, str):
        try:
            parsed = parse_template(value)
        except ExpressionError:
            return value
        if not isinstance(parsed, Template):
            return parsed
        if parsed.whole:
            try:
                return evaluate(parsed.exprs[0], scope)
            except ExpressionError:
                return value  # shown as written
        return "".join(part if isinstance(part, str) else _part(part, scope) for part in parsed.parts)
    if isinstance(value, Mapping):
        return {k: _resolve(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, scope) for v in value]
    return value


def _part(expr: Expr, scope: Scope) -> str:
    try:
        value = evaluate(expr, scope)
    except ExpressionError:
        return f"${{{expr.text}}}"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def plan(
    compiled: CompiledGraph,
    params: dict[str, Any],
    environ: Mapping[str, str],
    env: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``env``: the typed values of the workflow's ``env:`` mapping, over ``environ``'s text."""
    scope = Scope(
        {
            "params": params,
            "env": {**environ, **(env or {})},
            "secrets": {},
            "nodes": {},
            "run": {
                "id": "<run id>",
                "started_at": "<start time>",
                "workflow": compiled.workflow.name,
                "status": "<status>",
            },
        },
        environ,
    )
    stage_of = compiled.deps.stages()
    nodes = []
    for node_id in compiled.order:
        node = compiled.nodes[node_id]
        literal = node.node_type.literal_params
        config = {
            k: v if k in literal else _resolve(v, scope) for k, v in {**node.defaults, **node.config}.items()
        }
        nodes.append(
            {
                "id": node_id,
                "type": node.spec.type,
                "stage": stage_of[node_id],
                "after": sorted(node.deps),
                "params": config,
                "inputs": {e.param: f"{e.source}.{'.'.join(e.output)}" for e in node.inputs},
                "when": node.spec.when,
                "fallback_only": node.fallback_only,
                **({"on_failure": True} if node.on_failure else {}),
                **{
                    k: v
                    for k in ("foreach", "batch", "rate_limit")
                    if (v := getattr(node.spec, k)) is not None
                },
            }
        )
    return {"workflow": compiled.workflow.name, "params": params, "nodes": nodes}


def render_plan(document: dict[str, Any], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(document, indent=2, default=str)
    lines = [
        f"plan for {document['workflow']} (dry run: nothing is executed)",
        f"params: {json.dumps(document['params'], default=str)}",
    ]
    for node in document["nodes"]:
        extra = " (fallback only)" if node["fallback_only"] else ""
        extra += " (on_failure: runs only if the run fails)" if node.get("on_failure") else ""
        lines.append(f"stage {node['stage']}: {node['id']} [{node['type']}]{extra}")
        if node["after"]:
            lines.append(f"    after:  {', '.join(node['after'])}")
        if node["when"] is not None:
            lines.append(f"    when:   {node['when']}")
        for key in ("foreach", "batch", "rate_limit"):
            if key in node:
                lines.append(f"    {key}: {node[key] if key != 'batch' else json.dumps(node[key])}")
        for name, value in node["params"].items():
            lines.append(f"    {name} = {json.dumps(value, default=str)}")
        for name, source in node["inputs"].items():
            lines.append(f"    {name} <- {source}")
    return "\n".join(lines)
