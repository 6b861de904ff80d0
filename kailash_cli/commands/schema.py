"""``kailash schema [workflow|config] [--write]``: the JSON Schema, for editors and CI."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from kailash_cli.constants import EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.report.output import Output
from kailash_cli.schema.schemas import load_schema

#: where ``--write`` puts the schemas (editor settings in the README point here)
SCHEMA_FOLDER = Path(".kailash") / "schemas"

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


def schema_document(kind: str) -> dict[str, Any]:
    """The schema ``kailash schema KIND`` prints: ``workflow`` (node configs attached) or ``config``."""
    return bundled_workflow_schema() if kind == "workflow" else load_schema("config")


def write_schemas(folder: Path) -> list[Path]:
    """Both schemas as ``folder/workflow.schema.json`` and ``config.schema.json``, each written
    whole or not at all; the paths written."""
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for kind in ("workflow", "config"):
            path = folder / f"{kind}.schema.json"
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(json.dumps(schema_document(kind), indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, path)
            written.append(path)
    except OSError as e:
        raise UsageError(
            f"cannot write the schemas to {folder}: {e.strerror or e}; give a writable folder with --dir"
        ) from None
    return written


def schema(
    kind: str = "workflow", *, write: bool = False, folder: Path | None = None, output: Output | None = None
) -> int:
    output = output or Output()
    if folder is not None and not write:
        raise UsageError("--dir is the folder --write writes to; add --write (or drop --dir to print)")
    if write:
        for path in write_schemas(folder or SCHEMA_FOLDER):
            output.err(f"wrote {path}")
        return EXIT_OK
    output.out(json.dumps(schema_document(kind), indent=2))
    return EXIT_OK
