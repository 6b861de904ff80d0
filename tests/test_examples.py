from __future__ import annotations

from pathlib import Path

import pytest

from kailash_cli.compile.compiler import compile
from kailash_cli.compile.validation import check_document, load_workflow
from kailash_cli.load.yaml_io import load

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "workflows").glob("*.y*ml"))


def test_there_are_examples() -> None:
    names = {p.name for p in EXAMPLES}

    assert {"hello.yaml", "customer-etl.yaml"} <= names
    assert len(names) >= 4  # hello, the SPEC customer ETL, an HTTP and a switch/merge example


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_without_errors(example: Path) -> None:
    problems = check_document(load(example))

    assert [p for p in problems if p.severity == "error"] == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_compiles(example: Path) -> None:
    workflow, _ = load_workflow(example)

    compiled = compile(workflow)

    assert set(compiled.graph.nodes) == set(workflow.nodes)
    assert sorted(compiled.order) == sorted(workflow.nodes)
    position = {node_id: i for i, node_id in enumerate(compiled.order)}
    for source, target, kinds in compiled.graph.edges(data="kinds"):
        if kinds != {"fallback"}:
            assert position[source] < position[target], (source, target)
