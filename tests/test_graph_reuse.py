"""Big graphs (issue 15, item 4): what validation made is reused, not made again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers import write

from kailash_cli.compile import reference_checks
from kailash_cli.compile.compiler import compile
from kailash_cli.compile.validation import load_workflow
from kailash_cli.model import workflow as workflow_module
from kailash_cli.pipeline.setup import prepare

WORKFLOW = """\
name: reuse
nodes:
  a: {type: PythonCodeNode, config: {function: "steps:step", x: 1}}
  b: {type: PythonCodeNode, config: {function: "steps:step"}}
  c: {type: PythonCodeNode, config: {function: "steps:step"}}
  d: {type: PythonCodeNode, config: {code: "result = 1"}}
  e: {type: PythonCodeNode, config: {code: "result = 1"}}
connections:
  - "a.result -> b.x"
  - "b.result -> c.x"
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    write(tmp_path / "steps.py", "def step(x=0):\n    return x + 1\n")
    return write(tmp_path / "wf.yaml", WORKFLOW)


def test_each_connection_is_parsed_once(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    original = workflow_module.parse_connection

    def counting(raw: Any) -> Any:
        seen.append(raw)
        return original(raw)

    monkeypatch.setattr(workflow_module, "parse_connection", counting)
    monkeypatch.setattr(reference_checks, "parse_connection", counting)
    workflow, _ = load_workflow(path)
    compile(workflow)
    assert seen == ["a.result -> b.x", "b.result -> c.x"]
    assert [(e.source, e.target) for e in workflow.edges] == [("a", "b"), ("b", "c")]


def test_compile_reuses_the_graph_validation_built(path: Path) -> None:
    workflow, _ = load_workflow(path)
    assert workflow.dependencies is not None
    assert compile(workflow).deps is workflow.dependencies[2]
    assert compile(workflow).order == ("a", "b", "c", "d", "e")


def test_a_workflow_with_other_nodes_gets_its_own_graph(path: Path) -> None:
    workflow, _ = load_workflow(path)
    alone = replace(workflow, nodes={"c": workflow.nodes["c"]}, edges=())
    compiled = compile(alone)
    assert compiled.deps is not workflow.dependencies[2]  # type: ignore[index]
    assert compiled.order == ("c",) and compiled.nodes["c"].deps == frozenset()


def test_a_function_many_nodes_call_is_imported_once_a_run(path: Path) -> None:
    workflow, _ = load_workflow(path)
    prepared = prepare(compile(workflow))
    assert prepared["a"] is prepared["b"] is prepared["c"]
    assert prepared["d"] is not prepared["e"]  # inline code is compiled under each node's name
    assert prepared["d"].code.co_filename == "<node d>"
