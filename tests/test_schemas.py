from __future__ import annotations

import json
import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kailash_cli.load.yaml_io import load_text
from kailash_cli.model.result import Problem
from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.schema import messages, schemas
from kailash_cli.schema.fastcheck import compile_schema

SCHEMA_NAMES = ["workflow", "config", *(f"nodes/{name}" for name in sorted(NODE_TYPES))]


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = schemas.load_schema(name)

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_dir_holds_every_schema_file() -> None:
    folder = schemas.schema_dir()

    assert sorted(p.name for p in (folder / "nodes").glob("*.schema.json")) == [
        f"{name}.schema.json" for name in sorted(NODE_TYPES)
    ]
    assert (folder / "workflow.schema.json").is_file()
    assert (folder / "config.schema.json").is_file()


def test_property_defaults_come_from_the_schema() -> None:
    assert schemas.property_defaults("nodes/CSVReaderNode")["has_header"] is True
    assert schemas.property_defaults("nodes/HTTPRequestNode")["method"] == "GET"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "boolean"),
        (3, "integer"),
        (1.5, "number"),
        ("s", "string"),
        ([1], "array"),
        ({"a": 1}, "object"),
        (b"x", "bytes"),
    ],
)
def test_describe_type_uses_json_names(value: Any, name: str) -> None:
    assert messages.describe_type(value) == name


def test_did_you_mean() -> None:
    assert messages.did_you_mean("procesor", ["reader", "processor"]) == " (did you mean 'processor'?)"
    assert messages.did_you_mean("zzz", ["reader", "processor"]) == ""
    assert messages.did_you_mean("x", []) == ""


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), "the document"),
        (("name",), "name"),
        (("nodes", "read", "config", "file_path"), "nodes.read.config.file_path"),
        (("connections", 2), "connections[2]"),
        (("nodes", "a", "depends_on", 0), "nodes.a.depends_on[0]"),
    ],
)
def test_dotted_paths(path: tuple[str | int, ...], text: str) -> None:
    assert messages.dotted(path) == text


def findings(text: str, name: str = "workflow") -> list[Problem]:
    doc = load_text(text, "wf.yaml")
    return schemas.validate(doc, doc.data, name)


def test_valid_document_has_no_findings() -> None:
    assert findings("name: ok\nnodes:\n  a: {type: PythonCodeNode}\n") == []


def test_kv101_missing_required_field() -> None:
    assert findings("nodes:\n  a: {config: {}}\n") == [
        Problem(
            "KV101",
            "error",
            "the document: missing required field 'name'",
            "wf.yaml",
            1,
            1,
            "add 'name:' to the document",
        ),
        Problem(
            "KV101",
            "error",
            "nodes.a: missing required field 'type'",
            "wf.yaml",
            2,
            6,
            "add 'type:' to nodes.a",
        ),
    ]


def test_kv102_unknown_field_with_suggestion_located_at_the_key() -> None:
    fix = (
        "remove 'retries' or use one of: batch, circuit_breaker, config, continue_on_error, depends_on, "
        "description, fallback, foreach, permissions, rate_limit, retry, store_outputs, timeout, type, when"
    )
    assert findings("name: ok\nnodes:\n  a:\n    type: X\n    retries: 2\n") == [
        Problem(
            "KV102", "error", "nodes.a: unknown field 'retries' (did you mean 'retry'?)", "wf.yaml", 5, 5, fix
        )
    ]


def test_kv102_without_a_close_match() -> None:
    problems = findings("name: ok\nnodes: {a: {type: X}}\nzzz: 1\n")

    assert [p.message for p in problems] == ["the document: unknown field 'zzz'"]


def test_kv103_wrong_type() -> None:
    assert findings("name: ok\nnodes: {a: {type: X, timeout: soon}}\n") == [
        Problem(
            "KV103",
            "error",
            "nodes.a.timeout must be a number, got string",
            "wf.yaml",
            2,
            31,
            "write a number here",
        )
    ]


def test_kv103_value_of_none_of_the_allowed_types() -> None:
    assert findings("name: ok\nnodes: {a: {type: X, depends_on: 3}}\n") == [
        Problem(
            "KV103",
            "error",
            "nodes.a.depends_on must be a string or a list, got integer",
            "wf.yaml",
            2,
            34,
            "write a string or a list here",
        )
    ]


def test_kv103_inside_the_matching_branch() -> None:
    problems = findings("name: ok\nnodes: {a: {type: X, depends_on: [b, 3]}}\n")

    assert [(p.id, p.message, p.column) for p in problems] == [
        ("KV103", "nodes.a.depends_on[1] must be a string, got integer", 38)
    ]


def test_kv104_enum_with_suggestion() -> None:
    assert findings("name: ok\nnodes: {a: {type: X, retry: {strategy: exponentail}}}\n") == [
        Problem(
            "KV104",
            "error",
            "nodes.a.retry.strategy: \"exponentail\" is not allowed (did you mean 'exponential'?)",
            "wf.yaml",
            2,
            40,
            'use one of: "exponential", "linear", "fibonacci", "immediate"',
        )
    ]


def test_kv104_pattern_says_the_expected_form_not_the_regex() -> None:
    form = "a name of lower case letters, digits, _ and -, starting with a letter or digit, like customer-etl"

    assert findings("name: My Flow\nnodes: {a: {type: X}}\n") == [
        Problem("KV104", "error", f"name: 'My Flow' is not {form}", "wf.yaml", 1, 7, f"write {form}")
    ]


@pytest.mark.parametrize(
    ("schema", "message", "fix"),
    [
        (
            {"pattern": "^a", "description": "starts with a"},
            "is not in the form this value takes",
            "starts with a",
        ),
        ({"pattern": "^a"}, "is not in the form this value takes", "see the form in `kailash schema`"),
        (
            {"pattern": "^a", "patternErrorMessage": "Expected an a first."},
            "is not an a first",
            "write an a first",
        ),
    ],
)
def test_kv104_pattern_never_shows_the_regex(schema: dict[str, Any], message: str, fix: str) -> None:
    from jsonschema import Draft202012Validator

    doc = load_text("v: b\n", "wf.yaml")
    (error,) = Draft202012Validator(schema).iter_errors("b")

    assert messages.convert(error, doc, ("v",)) == [
        Problem("KV104", "error", f"v: 'b' {message}", "wf.yaml", 1, 4, fix)
    ]


def test_every_pattern_of_every_schema_has_its_wording() -> None:
    def patterns(node: Any, where: str) -> list[str]:
        if isinstance(node, list):
            return [p for n, item in enumerate(node) for p in patterns(item, f"{where}/{n}")]
        if not isinstance(node, dict):
            return []
        own = [where] if isinstance(node.get("pattern"), str) else []
        words = node.get("patternErrorMessage", "")
        assert not own or (words.startswith("Expected ") and words.endswith(".")), where
        return own + [p for k, v in node.items() for p in patterns(v, f"{where}/{k}")]

    assert sum(len(patterns(schemas.load_schema(name), name)) for name in SCHEMA_NAMES) >= 20


def test_kv104_bad_property_name_is_located_at_the_key() -> None:
    text = "name: ok\nnodes: {a: {type: X}}\nparams:\n  ok: {type: string}\n  2bad: {type: string}\n"

    assert findings(text) == [
        Problem(
            "KV104",
            "error",
            "params: name '2bad' is not allowed: "
            "expected a name of letters, digits and _, not starting with a digit",
            "wf.yaml",
            5,
            3,
            "write a name of letters, digits and _, not starting with a digit",
        )
    ]


def test_kv104_other_keywords() -> None:
    assert findings("name: ok\nnodes: {}\n") == [
        Problem("KV104", "error", "nodes: {} should be non-empty", "wf.yaml", 2, 8, "add at least one node")
    ]


def test_expressions_are_skipped_only_when_asked() -> None:
    doc = load_text("indent: '${params.n}'\nfile_path: 3\n", "wf.yaml")

    strict = schemas.validate(doc, doc.data, "nodes/JSONWriterNode")
    lenient = schemas.validate(doc, doc.data, "nodes/JSONWriterNode", expressions=True)

    assert sorted(p.message for p in strict) == [
        "file_path must be a string, got integer",
        "indent must be an integer or null, got string",
        "the document: missing required field 'data'",
    ]
    assert sorted(p.message for p in lenient) == [
        "file_path must be a string, got integer",
        "the document: missing required field 'data'",
    ]


def test_base_path_locates_findings_inside_a_bigger_document() -> None:
    doc = load_text("nodes:\n  w:\n    config: {indent: x}\n", "wf.yaml")

    problems = schemas.validate(
        doc,
        doc.data["nodes"]["w"]["config"],
        "nodes/JSONWriterNode",
        ("nodes", "w", "config"),
        skip_required=True,
    )

    assert problems == [
        Problem(
            "KV103",
            "error",
            "nodes.w.config.indent must be an integer or null, got string",
            "wf.yaml",
            3,
            22,
            "write an integer or null here",
        )
    ]


@pytest.mark.parametrize(
    ("value", "schema", "error"),
    [
        (3, {"type": "integer"}, None),
        ("x", {"type": "integer"}, "must be an integer, got string"),
        (5, {"type": "integer", "maximum": 3}, "5 is greater than the maximum of 3"),
        ("b", {"type": "string", "enum": ["a"]}, "'b' is not one of ['a']"),
    ],
)
def test_check_value(value: Any, schema: dict[str, Any], error: str | None) -> None:
    assert schemas.check_value(value, schema) == error


def test_node_schemas_declare_their_required_parameters() -> None:
    required = {name: schemas.load_schema(f"nodes/{name}").get("required", []) for name in NODE_TYPES}

    assert required["CSVReaderNode"] == ["file_path"]
    assert sorted(required["CSVWriterNode"]) == ["data", "file_path"]
    assert sorted(required["JSONWriterNode"]) == ["data", "file_path"]
    assert required["HTTPRequestNode"] == ["url"]
    assert required["SwitchNode"] == ["input_data"]


def test_workflow_schema_is_json_serialisable_and_closed() -> None:
    schema = schemas.load_schema("workflow")

    assert json.loads(json.dumps(schema)) == schema
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "nodes"]


def node_findings(config: str) -> list[tuple[str, str, str | None]]:
    doc = load_text(f"c: {config}\n", "wf.yaml")
    return [
        (p.id, p.message, p.fix)
        for p in schemas.validate(doc, doc.data["c"], "nodes/PythonCodeNode", ("nodes", "calc", "config"))
    ]


@pytest.mark.parametrize(
    ("config", "fix"),
    [
        ("{x: 1}", "add 'function' or 'code'"),
        ("{code: 'result = 1', function: 'm:f'}", "keep only one of 'function', 'code'"),
    ],
)
def test_python_code_node_needs_exactly_one_of_function_or_code(config: str, fix: str) -> None:
    assert node_findings(config) == [
        ("KV104", "node 'calc' (PythonCodeNode) needs exactly one of 'function' or 'code'", fix)
    ]


def test_any_of_required_alternatives_name_the_keys() -> None:
    schema_doc = load_text("{}\n", "x.yaml")
    error = next(Draft202012Validator({"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}).iter_errors({}))

    assert [(p.message, p.fix) for p in messages.convert(error, schema_doc, ("x",))] == [
        ("x needs at least one of 'a' or 'b'", "add 'a' or 'b'")
    ]


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("name: ok\nnodes: {a: {type: X, retry: {max_attempts: 0}}}\n", "use a number >= 1"),
        ("name: ok\nnodes: {a: {type: X, timeout: 0}}\n", "use a number > 0"),
        ("name: ok\nnodes: {}\n", "add at least one node"),
        ("name: ok\nnodes: {a: {type: X}}\nenv: [A, A]\n", "remove the repeated entries"),
        ("name: ok\nnodes: {a: {type: X}}\nparams: {p: {type: string, enum: []}}\n", "list at least 1 item"),
    ],
)
def test_bound_findings_have_a_fix(text: str, fix: str) -> None:
    assert [p.fix for p in findings(text)] == [fix]


def test_length_bounds_have_a_fix() -> None:
    doc = load_text("code: ''\n", "wf.yaml")

    assert [p.fix for p in schemas.validate(doc, doc.data, "nodes/PythonCodeNode")] == [
        "write a non-empty string"
    ]


def test_failed_any_of_branch_takes_the_description_of_the_schema_holding_it() -> None:
    doc = load_text("runtime: {}\nsecurity: {max_file_size: 50 MiBs}\n", "kailash.yaml")

    assert [p.fix for p in schemas.validate(doc, doc.data, "config")] == [
        "write a size like 50MB, 512KiB or 1.5GB, or a number of bytes"
    ]


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_fast_check_of_configs_with_expressions_agrees_with_jsonschema(name: str) -> None:
    """The fast answer of ``validate(..., expressions=True)`` equals "jsonschema reports
    nothing but errors on ``${...}`` strings", on instances with expressions anywhere."""
    from test_schema_check import _instance

    schema = schemas.load_schema(name)
    validator = Draft202012Validator(schema)
    fast = compile_schema(schema, expressions=True)
    assert fast is not None
    rng = random.Random(name)
    disagreements, seen = [], {True: 0, False: 0}
    for _ in range(1500):
        instance = _with_expressions(_instance(schema, schema, rng), rng)
        valid = not [
            e
            for e in validator.iter_errors(instance)
            if not (isinstance(e.instance, str) and "${" in e.instance)
        ]
        seen[valid] += 1
        if fast(instance) != valid:
            disagreements.append(instance)
    assert disagreements == []
    assert seen[True] and seen[False]


def _with_expressions(value: Any, rng: random.Random) -> Any:
    if rng.random() < 0.15:
        return rng.choice(["${params.x}", "a ${nodes.b.c} d", "${x}"])
    if isinstance(value, dict):
        return {k: _with_expressions(v, rng) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_expressions(v, rng) for v in value]
    return value


def test_enum_and_const_keep_true_apart_from_one() -> None:
    for schema, instance in (
        ({"enum": [1, "a"]}, True),
        ({"const": [0]}, [False]),
        ({"const": {"a": 1.0}}, {"a": 1}),
        ({"uniqueItems": True}, [1, True]),
        ({"uniqueItems": True}, [[1], [1.0]]),
        ({"enum": [None]}, 0),
    ):
        fast = compile_schema(schema)
        assert fast is not None
        assert fast(instance) == Draft202012Validator(schema).is_valid(instance), (schema, instance)


SCHEMA_BASE = "https://raw.githubusercontent.com/kailash-cli/kailash/main/schemas/"


def _properties(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    """Every named property below ``node``, with its JSON path in the schema."""
    if isinstance(node, list):
        return [p for n, item in enumerate(node) for p in _properties(item, f"{where}[{n}]")]
    if not isinstance(node, dict):
        return []
    found = [(f"{where}.{k}", v) for k, v in node.get("properties", {}).items() if isinstance(v, dict)]
    return found + [p for k, v in node.items() for p in _properties(v, f"{where}/{k}")]


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_property_has_a_description_editors_show(name: str) -> None:
    properties = _properties(schemas.load_schema(name), name)

    assert len(properties) >= (50 if name in ("workflow", "config") else 1)
    assert [where for where, spec in properties if not spec.get("description")] == []


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_ids_are_stable_urls_of_the_files(name: str) -> None:
    assert schemas.load_schema(name)["$id"] == f"{SCHEMA_BASE}{name}.schema.json"


@pytest.mark.parametrize("name", ["workflow", "config"])
def test_examples_and_defaults_fit_their_property(name: str) -> None:
    schema = schemas.load_schema(name)
    bad = []
    for where, spec in _properties(schema, name):
        values = [*spec.get("examples", []), *([spec["default"]] if "default" in spec else [])]
        check = {k: v for k, v in spec.items() if k not in ("examples", "default")}
        validator = Draft202012Validator({**check, "$defs": schema.get("$defs", {})})
        bad += [f"{where}: {v!r}" for v in values if not validator.is_valid(v)]

    assert bad == []


def test_a_config_found_valid_is_remembered_by_content_and_types() -> None:
    doc = load_text("x: 1\n", "wf.yaml")
    name = "nodes/CSVReaderNode"

    def ids(config: dict[str, Any]) -> list[str]:
        return [p.id for p in schemas.validate(doc, config, name, skip_required=True, expressions=True)]

    assert ids({"file_path": "a.csv", "chunk_size": 1}) == []
    assert ids({"file_path": "a.csv", "chunk_size": 1}) == []  # remembered
    assert ids({"file_path": "a.csv", "chunk_size": 0}) != []  # another value
    assert ids({"file_path": "a.csv", "chunk_size": True}) != []  # equal to 1, but not an integer
    assert ids({"file_path": "a.csv", "chunk_size": "1"}) != []
    assert ids({"file_path": "a.csv", "chunk_size": 1.5}) != []  # a float: never remembered
