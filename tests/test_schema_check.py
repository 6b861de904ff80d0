"""schema_check's fast predicate must agree with jsonschema on every schema kailash ships."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kailash_cli.schema.fastcheck import compile_schema
from kailash_cli.schema.schemas import schema_dir

SCHEMAS = sorted(schema_dir().glob("**/*.schema.json"))
ATOMS: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    1.0,
    0.5,
    float("nan"),
    1e300,
    "",
    "a",
    "x:y",
    "mod:fn",
    "./f.py:g",
    "${params.x}",
    "GET",
    "exponential",
    "list",
    "==",
    "abc_1",
    "1abc",
    "A",
    "data",
    3,
    300,
    0.0,
    "rbac",
    "partial",
    [],
    {},
    [1, 1],
    ["a", "a"],
]
STRINGS = [
    "",
    "a",
    "x:y",
    "mod:fn",
    "./f.py:g",
    "${x}",
    "GET",
    "abc_1",
    "1abc",
    "A" * 300,
    "a b",
    "50MB",
    "10 s",
    ".csv",
    "KD101",
    "http://x",
    "https://x",
]


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    target: Any = root
    for token in ref[2:].split("/"):
        target = target[token]
    return target


def _object(schema: dict[str, Any], root: dict[str, Any], rng: random.Random, depth: int) -> Any:
    out: dict[str, Any] = {}
    required = schema.get("required", [])
    for name, sub in schema.get("properties", {}).items():
        if (name in required and rng.random() < 0.9) or rng.random() < 0.4:
            out[name] = _instance(sub, root, rng, depth + 1)
    if rng.random() < 0.3:
        extra = schema.get("additionalProperties", True)
        key = rng.choice(["extra", "x", "1bad", "data1", "data22", "datax", "case_a", "Z"])
        out[key] = _instance(extra if isinstance(extra, dict) else {}, root, rng, depth + 1)
    return out


def _instance(schema: Any, root: dict[str, Any], rng: random.Random, depth: int = 0) -> Any:
    if depth > 6 or rng.random() < 0.08 or not isinstance(schema, dict):
        return rng.choice(ATOMS)
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and rng.random() < 0.9:
        return _instance(_resolve(ref, root), root, rng, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema and rng.random() < 0.7:
            return _instance(rng.choice(schema[key]), root, rng, depth + 1)
    if "enum" in schema and rng.random() < 0.8:
        return rng.choice([*schema["enum"], 1, True])
    kind = schema.get("type")
    kind = rng.choice(kind) if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema or "additionalProperties" in schema:
        return _object(schema, root, rng, depth)
    if kind == "array" or "items" in schema:
        return [_instance(schema.get("items", {}), root, rng, depth + 1) for _ in range(rng.randint(0, 3))]
    choices = {
        "string": STRINGS,
        "integer": [0, 1, -1, 1.0, 2.5, True, 10**20, 65536],
        "number": [0, 0.0, -1, 0.5, True, float("inf"), 100],
        "boolean": [True, False, 0, "true"],
    }
    return rng.choice(choices.get(kind, ATOMS))


def _examples(path: Any) -> list[Any]:
    """The example workflows, for the workflow schema: valid instances the generator rarely makes
    (a node has many optional fields, each one more chance of a random invalid value)."""
    if path.name != "workflow.schema.json":
        return []
    from pathlib import Path

    from kailash_cli.load.yaml_io import load

    folder = Path(__file__).resolve().parents[1] / "workflows"
    return [load(p).data for p in sorted(folder.glob("*.yaml"))]


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_fast_check_agrees_with_jsonschema(path: Any) -> None:
    schema = json.loads(path.read_text())
    validator = Draft202012Validator(schema)
    fast = compile_schema(schema)
    fast_no_required = compile_schema(schema, ignore_root_required=True)
    assert fast is not None
    rng = random.Random(path.name)
    disagreements = []
    seen_valid = 0
    for instance in [*(_instance(schema, schema, rng) for _ in range(1500)), *_examples(path)]:
        errors = list(validator.iter_errors(instance))
        valid = not errors
        seen_valid += valid
        valid_no_required = not [e for e in errors if not (e.validator == "required" and not e.absolute_path)]
        if fast(instance) != valid or (
            fast_no_required is not None and fast_no_required(instance) != valid_no_required
        ):
            disagreements.append(instance)
    assert disagreements == []
    assert seen_valid > 0  # the generator reaches valid instances, so "valid" answers are tested too


def test_unknown_keyword_leaves_the_work_to_jsonschema() -> None:
    assert compile_schema({"type": "object", "dependentRequired": {"a": ["b"]}}) is None
