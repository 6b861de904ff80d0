from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kailash_cli.model.workflow import Edge, NodeSpec, Param, Workflow, node_spec, parse_connection

DATA: dict[str, Any] = {
    "name": "etl",
    "description": "demo",
    "params": {
        "n": {"type": "integer", "required": True, "description": "count", "minimum": 1},
        "mode": {"type": "string", "default": "fast"},
    },
    "env": ["DATABASE_URL"],
    "secrets": {"api_key": {"env": "API_KEY"}},
    "runtime": {"max_concurrency": 2, "timeout": 30},
    "nodes": {
        "read": {"type": "CSVReaderNode", "config": {"file_path": "in.csv"}},
        "score": {
            "type": "PythonCodeNode",
            "config": {"function": "m:f"},
            "depends_on": "read",
            "timeout": 5,
            "retry": {"max_attempts": 3},
            "continue_on_error": True,
            "when": "${params.n > 0}",
            "description": "scores",
            "fallback": "backup",
        },
        "backup": {
            "type": "PythonCodeNode",
            "config": {"code": "result = 1"},
            "depends_on": ["read", "score"],
        },
    },
    "connections": [{"from": "read.data", "to": "score.rows"}, "score.result.total -> backup.x"],
    "outputs": {"total": "${nodes.score.result}"},
}


def test_from_dict_builds_every_field(tmp_path: Path) -> None:
    path = tmp_path / "etl.yaml"
    wf = Workflow.from_dict(DATA, path=path)
    assert wf.name == "etl"
    assert wf.description == "demo"
    assert wf.params == {
        "n": Param(
            "n",
            "integer",
            required=True,
            default=None,
            has_default=False,
            description="count",
            schema={"type": "integer", "minimum": 1},
        ),
        "mode": Param(
            "mode", "string", required=False, default="fast", has_default=True, schema={"type": "string"}
        ),
    }
    assert wf.env == ("DATABASE_URL",)
    assert wf.secrets == {"api_key": {"env": "API_KEY"}}
    assert wf.runtime == {"max_concurrency": 2, "timeout": 30}
    assert wf.nodes["read"] == NodeSpec("read", "CSVReaderNode", config={"file_path": "in.csv"})
    assert wf.nodes["score"] == NodeSpec(
        "score",
        "PythonCodeNode",
        config={"function": "m:f"},
        description="scores",
        when="${params.n > 0}",
        depends_on=("read",),
        timeout=5,
        retry={"max_attempts": 3},
        fallback="backup",
        continue_on_error=True,
    )
    assert wf.nodes["backup"].depends_on == ("read", "score")
    assert wf.edges == (
        Edge("read", ("data",), "score", "rows", 0),
        Edge("score", ("result", "total"), "backup", "x", 1),
    )
    assert wf.outputs == {"total": "${nodes.score.result}"}
    assert wf.base_dir == tmp_path


def test_minimal_workflow_defaults() -> None:
    wf = Workflow.from_dict({"name": "w", "nodes": {"a": {"type": "PythonCodeNode"}}})
    assert wf == Workflow(name="w", nodes={"a": NodeSpec("a", "PythonCodeNode")})
    assert wf.base_dir == Path.cwd()


def test_edge_label() -> None:
    assert Edge("a", ("result", "total"), "b", "x", 0).label == "a.result.total -> b.x"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a.result -> b.x", (("a", ("result",)), ("b", "x"))),
        ("  a.result.k.0->b.x  ", (("a", ("result", "k", "0")), ("b", "x"))),
        ({"from": "a.data", "to": "b.rows"}, (("a", ("data",)), ("b", "rows"))),
    ],
)
def test_parse_connection(raw: Any, expected: Any) -> None:
    assert parse_connection(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "a.result => b.x",
        "a -> b.x",
        "a.result -> b",
        "a.result -> b.x.y",
        "a..x -> b.y",
        {"from": "a.x"},
        {"from": 1, "to": "b.x"},
        42,
        None,
    ],
)
def test_parse_connection_refuses_bad_syntax(raw: Any) -> None:
    assert parse_connection(raw) is None


def test_invalid_connections_are_dropped_from_the_model() -> None:
    data = {
        "name": "w",
        "nodes": {"a": {"type": "PythonCodeNode"}, "b": {"type": "PythonCodeNode"}},
        "connections": ["bad", "a.result -> b.x"],
    }
    assert Workflow.from_dict(data).edges == (Edge("a", ("result",), "b", "x", 1),)


def test_a_node_of_type_and_config_only_has_every_default() -> None:
    full = node_spec("a", {"type": "X", "config": {"k": 1}, "description": ""})  # the long way
    assert node_spec("a", {"type": "X", "config": {"k": 1}}) == full
    assert (
        node_spec("a", {"type": "X"})
        == NodeSpec(id="a", type="X")
        == node_spec("a", {"type": "X", "config": None})
    )
