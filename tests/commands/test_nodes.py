from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import RunCli
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from kailash_cli.nodes.registry import NODE_TYPES, get_node_type
from kailash_cli.schema.schemas import load_schema, schema_dir

TESTS = Path(__file__).resolve().parents[1]
TYPES = sorted(NODE_TYPES)


def test_list_shows_every_type_with_its_summary(run_cli: RunCli) -> None:
    result = run_cli("nodes")

    assert (result.returncode, result.stderr) == (0, "")
    width = max(map(len, TYPES))
    assert result.stdout.splitlines() == [f"{name:<{width}}  {NODE_TYPES[name].summary}" for name in TYPES]


def test_list_as_json(run_cli: RunCli) -> None:
    result = run_cli("nodes", "--output", "json")

    assert result.returncode == 0
    assert sorted(entry["type"] for entry in json.loads(result.stdout)) == TYPES


@pytest.mark.parametrize("name", TYPES)
def test_show_one_type(name: str, run_cli: RunCli) -> None:
    node_type = NODE_TYPES[name]

    result = run_cli("nodes", name)

    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0] == f"{name}: {node_type.summary}"
    for heading in ("Parameters (* required):", "Outputs:", "Example:"):
        assert heading in lines
    assert "Inputs: every parameter can also be set by a connection to <node>.<parameter>." in lines
    params = lines[lines.index("Parameters (* required):") + 1 : lines.index("Outputs:")]
    for param in node_type.parameters():
        mark = "*" if param in node_type.required() else " "
        assert any(line.startswith(f"  {mark} {param} ") for line in params), (param, params)
    example = lines[lines.index("Example:") + 1 :]
    assert example == [f"  {line}" for line in node_type.example.rstrip().splitlines()]


@pytest.mark.parametrize("name", TYPES)
def test_show_one_type_as_json(name: str, run_cli: RunCli) -> None:
    node_type = NODE_TYPES[name]

    result = run_cli("nodes", name, "-o", "json")

    assert result.returncode == 0
    info = json.loads(result.stdout)
    assert info["type"] == name
    assert [p["name"] for p in info["parameters"]] == list(load_schema(f"nodes/{name}")["properties"])
    assert [p["name"] for p in info["parameters"] if p["required"]] == [
        p for p in load_schema(f"nodes/{name}")["properties"] if p in node_type.required()
    ]
    assert info["outputs"] == list(node_type.declared_outputs)
    assert info["example"] == node_type.example


def test_show_csv_reader_exactly(run_cli: RunCli) -> None:
    result = run_cli("nodes", "CSVReaderNode")

    params = result.stdout.split("Parameters (* required):\n")[1].split("\n\n")[0].splitlines()
    assert params[0] == (
        "  * file_path        string                 File path, relative to the workflow file."
    )
    assert result.stdout.split("Outputs:\n")[1].split("\n\n")[0] == "  data"


def test_outputs_of_open_types_are_explained(run_cli: RunCli) -> None:
    python = run_cli("nodes", "PythonCodeNode").stdout
    switch = run_cli("nodes", "SwitchNode").stdout

    assert "  result             the return value (inline code: the variable result);\n" in python
    assert (
        "    (any other key)    any                    passed to the function as a keyword argument\n"
    ) in python
    assert "  true_output, false_output (condition) or case_<value>, default (cases);\n" in switch


def test_unknown_type_exits_2_with_a_suggestion(run_cli: RunCli) -> None:
    result = run_cli("nodes", "CsvReaderNode")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: unknown node type 'CsvReaderNode' (did you mean 'CSVReaderNode'?); "
        "run `kailash nodes` to list them\n"
    )


def test_unknown_type_without_a_close_match(run_cli: RunCli) -> None:
    result = run_cli("nodes", "Teleporter")

    assert (result.returncode, result.stderr) == (
        2,
        "error: unknown node type 'Teleporter'; run `kailash nodes` to list them\n",
    )


# -- every node type is complete: registry entry, schema file, example, tests --------------------


@pytest.mark.parametrize("name", TYPES)
def test_registry_entry(name: str) -> None:
    node_type = get_node_type(name)

    assert node_type is NODE_TYPES[name]
    assert node_type.name == name
    assert name.endswith("Node")
    assert node_type.summary
    assert node_type.schema_name == f"nodes/{name}"


@pytest.mark.parametrize("name", TYPES)
def test_schema_file(name: str) -> None:
    path = schema_dir() / "nodes" / f"{name}.schema.json"

    assert path.is_file()
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert set(NODE_TYPES[name].required()) <= set(schema["properties"])


def test_no_schema_file_without_a_registered_type() -> None:
    files = (schema_dir() / "nodes").glob("*.json")
    assert sorted(p.name.removesuffix(".schema.json") for p in files) == TYPES


@pytest.mark.parametrize("name", TYPES)
def test_example_parses_and_its_config_validates(name: str) -> None:
    node_type = NODE_TYPES[name]

    example = YAML(typ="safe").load(node_type.example)

    assert isinstance(example, dict) and example
    validator = Draft202012Validator(node_type.schema)
    for node_id, node in example.items():
        assert node["type"] == name, node_id
        config = node.get("config", {})
        # required parameters may come from connections, so only the given keys are checked
        errors = [e.message for e in validator.iter_errors(config) if e.validator != "required"]
        assert errors == [], node_id


@pytest.mark.parametrize("name", TYPES)
def test_every_type_has_a_test_file(name: str) -> None:
    module = type(NODE_TYPES[name]).__module__.rsplit(".", 1)[1]

    assert (TESTS / "nodes" / f"test_{module}.py").is_file()
