from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import RunCli, write_file
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.schema.schemas import load_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "workflows").glob("*.yaml"))
SPEC_EXAMPLE = ROOT / "tests" / "fixtures" / "spec" / "kailash.yaml"


def printed(run_cli: RunCli, *args: str) -> dict[str, Any]:
    result = run_cli("schema", *args)
    assert (result.returncode, result.stderr) == (0, "")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def workflow_schema() -> dict[str, Any]:
    from kailash_cli.commands.schema import bundled_workflow_schema

    return bundled_workflow_schema()


def test_workflow_schema_is_the_default(run_cli: RunCli, workflow_schema: dict[str, Any]) -> None:
    assert printed(run_cli) == workflow_schema
    assert printed(run_cli, "workflow") == workflow_schema


def test_workflow_schema_is_a_valid_schema(workflow_schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(workflow_schema)
    assert workflow_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_node_type_enum_is_the_sorted_registry(workflow_schema: dict[str, Any]) -> None:
    assert workflow_schema["$defs"]["node"]["properties"]["type"]["enum"] == sorted(NODE_TYPES)


def test_each_type_config_schema_is_attached_with_if_then(workflow_schema: dict[str, Any]) -> None:
    branches = workflow_schema["$defs"]["node"]["allOf"]

    assert [b["if"] for b in branches] == [
        {"properties": {"type": {"const": name}}, "required": ["type"]} for name in sorted(NODE_TYPES)
    ]
    for name, branch in zip(sorted(NODE_TYPES), branches, strict=True):
        assert branch["then"] == {"properties": {"config": {"$ref": f"#/$defs/{name}"}}}
        own = load_schema(f"nodes/{name}")
        attached = workflow_schema["$defs"][name]
        assert list(attached["properties"]) == list(own["properties"])
        for key, spec in own["properties"].items():  # every parameter may also be an expression
            assert attached["properties"][key]["anyOf"] == [spec, {"$ref": "#/$defs/expression"}]
            assert attached["properties"][key].get("description") == spec.get("description")
        assert "required" not in attached  # a required parameter may arrive by a connection


def test_attached_config_schema_checks_config_by_type(workflow_schema: dict[str, Any]) -> None:
    validator = Draft202012Validator(workflow_schema)
    document = {"name": "x", "nodes": {"r": {"type": "CSVReaderNode", "config": {"file_path": 3}}}}

    errors = [(list(e.absolute_path), e.message) for e in validator.iter_errors(document)]

    assert errors == [
        (["nodes", "r", "config", "file_path"], "3 is not valid under any of the given schemas")
    ]


@pytest.mark.parametrize(
    ("indent", "errors"),
    [
        (2, []),
        ("${params.indent}", []),
        ("two", ["'two' is not valid under any of the given schemas"]),
    ],
)
def test_expressions_are_accepted_for_any_parameter(
    indent: Any, errors: list[str], workflow_schema: dict[str, Any]
) -> None:
    document = {"name": "x", "nodes": {"w": {"type": "JSONWriterNode", "config": {"indent": indent}}}}

    assert [e.message for e in Draft202012Validator(workflow_schema).iter_errors(document)] == errors


def test_unknown_node_type_fails_the_schema(workflow_schema: dict[str, Any]) -> None:
    validator = Draft202012Validator(workflow_schema)

    assert not validator.is_valid({"name": "x", "nodes": {"r": {"type": "CsvReaderNode"}}})


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_against_the_printed_schema(
    example: Path, workflow_schema: dict[str, Any]
) -> None:
    data = YAML(typ="safe").load(example.read_text(encoding="utf-8"))

    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in Draft202012Validator(workflow_schema).iter_errors(data)
    ]

    assert errors == []


def test_config_schema(run_cli: RunCli) -> None:
    schema = printed(run_cli, "config")

    Draft202012Validator.check_schema(schema)
    assert schema == load_schema("config")
    assert sorted(schema["properties"]) == [
        "access_control",
        "databases",
        "deploy",
        "executor",
        "health",
        "runtime",
        "security",
        "serve",
    ]


def test_spec_config_example_validates_against_schema_and_command(tmp_path: Path, run_cli: RunCli) -> None:
    text = SPEC_EXAMPLE.read_text(encoding="utf-8")
    data = YAML(typ="safe").load(text)

    assert [e.message for e in Draft202012Validator(printed(run_cli, "config")).iter_errors(data)] == []
    write_file(tmp_path, "kailash.yaml", text)
    result = run_cli("validate", "kailash.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "1 warning in 1 file(s) checked\n")
    assert result.stdout == (
        "kailash.yaml:22:57: warning KV501: role 'analyst' inherits role 'viewer', "
        "which is not defined under access_control.roles; fix: define the role or "
        "fix its name\n"
    )


def test_unknown_schema_kind_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("schema", "pipeline")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: kailash schema: 'pipeline' is not one of 'workflow', 'config'; see kailash schema -h\n"
    )


def test_write_puts_both_schemas_in_the_project(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli("schema", "--write", cwd=tmp_path)

    assert (result.returncode, result.stdout) == (0, "")
    assert (
        result.stderr
        == "wrote .kailash/schemas/workflow.schema.json\nwrote .kailash/schemas/config.schema.json\n"
    )
    folder = tmp_path / ".kailash" / "schemas"
    assert json.loads((folder / "workflow.schema.json").read_text(encoding="utf-8")) == printed(
        run_cli, "workflow"
    )
    assert json.loads((folder / "config.schema.json").read_text(encoding="utf-8")) == load_schema("config")
    assert sorted(p.name for p in folder.iterdir()) == ["config.schema.json", "workflow.schema.json"]


def test_write_to_a_folder_that_cannot_be_made_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "taken", "a file, not a folder\n")

    result = run_cli("schema", "--write", "--dir", "taken/schemas", cwd=tmp_path)

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: cannot write the schemas to taken/schemas: Not a directory; "
        "give a writable folder with --dir\n"
    )


def test_dir_without_write_is_refused_not_ignored(tmp_path: Path) -> None:
    from helpers import kailash

    done = kailash("schema", "--dir", "zz", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert (
        done.stderr == "error: --dir is the folder --write writes to; add --write (or drop --dir to print)\n"
    )
    assert not (tmp_path / "zz").exists()
