"""``kailash nodes [TYPE]``: the node catalogue."""

from __future__ import annotations

import json
from typing import Any

from kailash_cli.constants import EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.nodes.base import NodeType
from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.report.output import Output
from kailash_cli.schema.messages import did_you_mean


def describe(node_type: NodeType) -> dict[str, Any]:
    required = set(node_type.required())
    params = []
    for name, spec in node_type.parameters().items():
        params.append(
            {
                "name": name,
                "type": _type_text(spec),
                "required": name in required,
                "default": spec.get("default"),
                "description": spec.get("description", ""),
            }
        )
    schema = node_type.schema
    outputs = node_type.declared_outputs
    return {
        "type": node_type.name,
        "summary": node_type.summary,
        "parameters": params,
        "open_inputs": schema.get("additionalProperties") is True or bool(schema.get("patternProperties")),
        "inputs": "any parameter above can also arrive by a connection (target.param)",
        "outputs": list(outputs),
        "example": node_type.example,
    }


def _type_text(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return " | ".join(json.dumps(v) for v in spec["enum"])
    if "anyOf" in spec:
        return " or ".join(_type_text(s) for s in spec["anyOf"])
    kind = spec.get("type", "any")
    return " or ".join(kind) if isinstance(kind, list) else str(kind)


def _text(info: dict[str, Any]) -> str:
    lines = [f"{info['type']}: {info['summary']}", "", "Parameters (* required):"]
    for p in info["parameters"]:
        default = f" [default: {json.dumps(p['default'])}]" if p["default"] is not None else ""
        mark = "*" if p["required"] else " "
        lines.append(f"  {mark} {p['name']:<16} {p['type']:<22} {p['description']}{default}".rstrip())
    if info["type"] == "PythonCodeNode":
        lines.append(
            "    (any other key)    any                    passed to the function as a keyword argument"
        )
    if info["type"] == "MergeNode":
        lines.append(
            "    data1 ... dataN    any                    inputs; only those that arrived are merged"
        )
    lines += [
        "",
        "Inputs: every parameter can also be set by a connection to <node>.<parameter>.",
        "",
        "Outputs:",
    ]
    outputs = info["outputs"]
    if info["type"] == "PythonCodeNode":
        lines.append("  result             the return value (inline code: the variable result);")
        lines.append("                     when it is a mapping, each key is an output too")
    elif info["type"] == "SwitchNode":
        lines.append("  true_output, false_output (condition) or case_<value>, default (cases);")
        lines.append("  only the active branch is produced, nodes on the others are skipped")
    else:
        lines.extend(f"  {o}" for o in outputs)
    lines += ["", "Example:"] + [f"  {line}" for line in info["example"].rstrip().splitlines()]
    return "\n".join(lines)


def nodes(type_: str | None = None, *, output_format: str = "text", output: Output | None = None) -> int:
    output = output or Output()
    if type_ is None:
        if output_format == "json":
            output.out(json.dumps([describe(t) for t in NODE_TYPES.values()], indent=2))
        else:
            width = max(map(len, NODE_TYPES))
            output.out("\n".join(f"{n:<{width}}  {t.summary}" for n, t in sorted(NODE_TYPES.items())))
        return EXIT_OK
    node_type = NODE_TYPES.get(type_)
    if node_type is None:
        raise UsageError(
            f"unknown node type '{type_}'{did_you_mean(type_, NODE_TYPES)}; run `kailash nodes` to list them"
        )
    info = describe(node_type)
    output.out(json.dumps(info, indent=2) if output_format == "json" else _text(info))
    return EXIT_OK
