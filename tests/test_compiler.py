from __future__ import annotations

import random
from typing import Any

import networkx as nx
import pytest

from kailash_cli.compile.compiler import build_graph, compile, dependencies
from kailash_cli.compile.graph import build, find_cycles, node_refs
from kailash_cli.model.expressions import Template
from kailash_cli.model.workflow import Edge, Workflow
from kailash_cli.nodes.registry import NODE_TYPES


def workflow(nodes: dict[str, Any], connections: list[Any] | None = None) -> Workflow:
    return Workflow.from_dict({"name": "wf", "nodes": nodes, "connections": connections or []})


def code(text: str = "result = 1", **config: Any) -> dict[str, Any]:
    return {"type": "PythonCodeNode", "config": {"code": text, **config}}


NODES = {
    "read": {"type": "CSVReaderNode", "config": {"file_path": "in.csv"}},
    "score": code(rows="${nodes.read.data}"),
    "audit": {**code(), "depends_on": ["read"]},
    "report": {"type": "JSONWriterNode", "config": {"file_path": "out.json"}},
    "gate": {**code(), "when": "${nodes.audit.result > 0}"},
}
CONNECTIONS = ["score.result -> report.data"]


def test_graph_edges_from_connections_expressions_and_depends_on() -> None:
    graph = build_graph(workflow(NODES, CONNECTIONS))
    assert isinstance(graph, nx.DiGraph)
    assert list(graph.nodes) == ["read", "score", "audit", "report", "gate"]
    assert dict(graph.nodes["read"]) == {"type": "CSVReaderNode", "fallback_only": False}
    assert {(u, v): (d["kinds"], d["labels"]) for u, v, d in graph.edges(data=True)} == {
        ("score", "report"): ({"data"}, ["result -> data"]),
        ("read", "score"): ({"expr"}, ["${nodes.read}"]),
        ("read", "audit"): ({"order"}, ["depends_on"]),
        ("audit", "gate"): ({"expr"}, ["${nodes.audit}"]),
    }


def test_two_kinds_of_edge_between_the_same_nodes_are_merged() -> None:
    nodes = {"a": code(), "b": {**code(x="${nodes.a.result}"), "depends_on": ["a"]}}
    graph = build_graph(workflow(nodes, ["a.result -> b.y"]))
    assert graph.edges["a", "b"]["kinds"] == {"data", "expr", "order"}
    assert graph.edges["a", "b"]["labels"] == ["result -> y", "${nodes.a}", "depends_on"]


def test_compile_orders_topologically_keeping_file_order_among_equals() -> None:
    compiled = compile(workflow(NODES, CONNECTIONS))
    assert compiled.order == ("read", "score", "audit", "report", "gate")
    nodes = {"z": code(), "a": code(), "m": code(x="${nodes.z.result}")}
    assert compile(workflow(nodes)).order == ("z", "a", "m")
    assert compile(workflow({"b": code(), "a": code()}, ["b.result -> a.x"])).order == ("b", "a")
    assert compile(workflow({"a": code(), "b": code()}, ["b.result -> a.x"])).order == ("b", "a")


def test_compiled_node_fields() -> None:
    compiled = compile(workflow(NODES, CONNECTIONS))
    report = compiled.nodes["report"]
    assert report.spec.type == "JSONWriterNode"
    assert report.node_type is NODE_TYPES["JSONWriterNode"]
    assert report.defaults == {"indent": 2}
    assert report.inputs == (Edge("score", ("result",), "report", "data", 0),)
    assert report.data_deps == frozenset({"score"})
    assert report.order_deps == frozenset()
    assert report.deps == frozenset({"score"})
    assert report.resolve is None
    assert compiled.nodes["audit"].order_deps == frozenset({"read"})
    assert compiled.nodes["audit"].data_deps == frozenset()
    assert compiled.nodes["score"].data_deps == frozenset({"read"})
    assert sorted(compiled.nodes["read"].successors) == ["audit", "score"]
    gate = compiled.nodes["gate"]
    assert isinstance(gate.when, Template)
    assert gate.when.source == "${nodes.audit.result > 0}"
    assert gate.data_deps == frozenset({"audit"})


def test_compiled_resolver_renders_config() -> None:
    from kailash_cli.model.evaluation import Scope

    compiled = compile(workflow(NODES, CONNECTIONS))
    resolve = compiled.nodes["score"].resolve
    assert resolve is not None
    scope = Scope({"nodes": {"read": {"data": [1, 2]}}}, {})
    assert resolve(scope) == {"rows": [1, 2]}  # code is Python source, never templated


def test_when_literal_is_kept() -> None:
    compiled = compile(workflow({"a": {**code(), "when": False}, "b": {**code(), "when": "yes"}}))
    assert compiled.nodes["a"].when is False
    assert compiled.nodes["b"].when == "yes"


def test_fallback_edges_do_not_order_and_mark_fallback_only() -> None:
    nodes = {"main": {**code(), "fallback": "backup"}, "backup": code(), "next": code()}
    compiled = compile(workflow(nodes, ["main.result -> next.x"]))
    assert compiled.graph.edges["main", "backup"]["kinds"] == {"fallback"}
    assert compiled.nodes["backup"].fallback_only is True
    assert compiled.nodes["main"].fallback_only is False
    assert compiled.nodes["backup"].deps == frozenset()
    assert compiled.nodes["main"].successors == ("next",)


def test_expression_refs_read_config_and_when() -> None:
    wf = workflow(
        {
            "a": code(),
            "b": code(),
            "c": {**code(x=["${nodes.a.result}", "${params.n}"]), "when": "${len(nodes.b.result) > 0}"},
        }
    )
    assert list(node_refs(wf.nodes["c"])) == [
        ("nodes", "a", "result"),
        ("params", "n"),
        ("nodes", "b", "result"),
    ]
    assert list(dependencies(wf).preds["c"]) == ["a", "b"]


def test_find_cycles_names_the_nodes_in_order() -> None:
    successors = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["f"], "e": ["e"], "f": []}
    assert find_cycles(successors) == [["a", "b", "c"], ["e"]]
    assert find_cycles({"a": ["b"], "b": []}) == []


def test_find_cycles_gives_the_first_cycle_met_from_the_earliest_node() -> None:
    successors = {"a": ["b"], "b": ["c"], "c": ["b", "a"]}
    assert find_cycles(successors) == [["b", "c"]]
    assert find_cycles({"a": ["b"], "b": ["c"], "c": ["a", "b"]}) == [["a", "b", "c"]]


def test_find_cycles_finds_what_networkx_found() -> None:
    """The cycles validation reported when it used networkx, on random graphs."""
    rng = random.Random(8)
    for _ in range(500):
        names = [f"n{i}" for i in rng.sample(range(9), rng.randint(1, 9))]
        density = rng.random() * 0.6
        successors = {a: [b for b in names if rng.random() < density] for a in names}
        graph = nx.DiGraph()
        graph.add_nodes_from(names)
        graph.add_edges_from((a, b) for a in names for b in successors[a])
        expected = []
        for component in nx.strongly_connected_components(graph):
            first = min(component, key=names.index)
            if len(component) > 1 or graph.has_edge(first, first):
                expected.append([u for u, _ in nx.find_cycle(graph.subgraph(component), source=first)])
        assert find_cycles(successors) == sorted(expected, key=lambda cycle: names.index(cycle[0]))


def test_the_same_builder_reads_a_document_as_written() -> None:
    nodes = {
        "a": {"type": "PythonCodeNode", "config": {"code": "x", "v": "${nodes.c.result}"}},
        "b": {
            "type": "NoSuchNode",
            "config": {"v": "${nodes.a.x} ${nodes.zz.y}", "w": "${bad"},
            "depends_on": ["b", "zz", "a", 3],
        },
        "c": {"type": "PythonCodeNode", "depends_on": "b", "fallback": "d", "when": True},
        "d": "not a node",
    }
    edges = [Edge("zz", ("result",), "a", "x", 0), Edge("d", ("x",), "c", "y", 1)]
    deps = build("doc", nodes, edges)
    assert {key: (link.kinds, link.labels) for key, link in deps.links.items()} == {
        ("d", "c"): ({"data"}, ["x -> y"]),
        ("c", "a"): ({"expr"}, ["${nodes.c}"]),
        ("a", "b"): ({"expr", "order"}, ["${nodes.a}", "depends_on"]),
        ("b", "c"): ({"order"}, ["depends_on"]),
        ("c", "d"): ({"fallback"}, ["fallback"]),
    }
    assert deps.types == {"a": "PythonCodeNode", "b": "NoSuchNode", "c": "PythonCodeNode", "d": None}
    assert deps.cycles() == [["a", "b", "c"]]
    assert deps.waited_by("c") == ("a",)
    assert deps.fallback_only == {"d"}


def test_stages_and_order_leave_out_fallback_links() -> None:
    nodes = {
        "main": {**code(), "fallback": "backup"},
        "backup": code(),
        "next": code(),
        "last": code(x="${nodes.next.result}"),
    }
    deps = dependencies(workflow(nodes, ["main.result -> next.x"]))
    assert deps.order() == ("main", "backup", "next", "last")
    assert deps.stages() == {"main": 1, "backup": 1, "next": 2, "last": 3}


def test_order_refuses_a_cycle() -> None:
    nodes = {"a": code(x="${nodes.b.result}"), "b": code(x="${nodes.a.result}")}
    with pytest.raises(AssertionError, match="cycle"):
        compile(workflow(nodes))


def test_the_networkx_graph_is_built_once_on_demand() -> None:
    compiled = compile(workflow(NODES, CONNECTIONS))
    assert compiled.graph is compiled.graph
    assert list(compiled.graph.edges) == list(build_graph(workflow(NODES, CONNECTIONS)).edges)
