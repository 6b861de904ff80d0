"""``kailash schema [workflow|config]``: the JSON Schema, for editors and CI."""

from __future__ import annotations

import copy
import json
from typing import Any

from kailash_cli.constants import EXIT_OK
from kailash_cli.report.output import Output
from kailash_cli.schema.schemas import load_schema

_EXPRESSION = {
    "type": "string",
    "pattern": "\\$\\{.*\\}",
    "description": "An expression ${...}, checked once resolved at run time.",
}


def _or_expression(spec: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema, or an expression (``"${params.n}"`` for an integer is fine)."""
    outer: dict[str, Any] = {k: spec[k] for k in ("description", "default") if k in spec}
    return {**outer, "anyOf": [spec, {"$ref": "#/$defs/expression"}]}


def bundled_workflow_schema() -> dict[str, Any]:
    """The workflow schema with each node type's config schema attached by ``type``.

    Editors' YAML language servers then complete and check ``config:`` per type.
    """
    from kailash_cli.nodes.registry import NODE_TYPES

    schema = copy.deepcopy(load_schema("workflow"))
    schema["$defs"]["expression"] = _EXPRESSION
    node = schema["$defs"]["node"]
    node["properties"]["type"]["enum"] = sorted(NODE_TYPES)
    node["allOf"] = []
    for name in sorted(NODE_TYPES):
        config = copy.deepcopy(load_schema(NODE_TYPES[name].schema_name))
        config.pop("$schema", None)
        config.pop("$id", None)
        config.pop("required", None)  # a required parameter may arrive by a connection instead
        config["properties"] = {
            key: _or_expression(spec) for key, spec in config.get("properties", {}).items()
        }
        schema["$defs"][name] = config
        node["allOf"].append(
            {
                "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                "then": {"properties": {"config": {"$ref": f"#/$defs/{name}"}}},
            }
        )
    return schema


def schema(kind: str = "workflow", *, output: Output | None = None) -> int:
    output = output or Output()
    document = bundled_workflow_schema() if kind == "workflow" else load_schema("config")
    output.out(json.dumps(document, indent=2))
    return EXIT_OK
