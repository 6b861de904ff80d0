"""Positions found on demand in a file without anchors are the ones Builder records."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml import YAML

from kailash_cli.load.yaml_io import Document, JsonPath, load_text
from kailash_cli.load.yaml_resolver import Resolver
from kailash_cli.load.yaml_tree import Builder

TEXTS = [
    "name: demo\nnodes:\n  read:\n    type: CSVReaderNode\n    tags: [a, b]\n",
    "name: a\nnodes:\n  n: {type: A, type: B}\n  m: {}\n  n: {type: C}\nname: b\n",
    "n:\n  config: {a: 1, b: [1, {c: 2}]}\nn:\n  type: X\n",
    "'<key>': 1\nx: {'<key>': {a: [1, 2]}}\n",
    "- a\n- [b, {c: d}]\n- {e: [f, g], 'quoted': \"v\"}\n",
    "!!str k: 1\nt: 2024-01-02\nb: !!binary aGVsbG8=\nnum: 0x10\nn: ~\n",
    "just text\n",
    "x: {}\ny: []\nz:\n",
    "# a block file read without ruamel.yaml\nname: demo\nnodes:\n  read:\n    type: CSVReaderNode # c\n"
    "    config:\n      path: 'in.csv'\n      n: 3\n  w:\n"
    'connections:\n- "read.rows -> w.rows"\n- x\nz: 1\n',
]


def _eager(text: str) -> Document:
    doc = Document(file="wf.yaml", data=None)
    yaml = YAML(typ="safe")
    yaml.Resolver = Resolver
    doc.data = Builder(doc, yaml).build(yaml.compose(text), ())
    return doc


def _probes(doc: Document) -> list[JsonPath]:
    paths: list[JsonPath] = [*doc.key_positions, *doc.value_positions, ("missing",), ()]
    return paths + [(*p, extra) for p in list(paths) for extra in ("zzz", 0, 5, -1, "<key>")]


@pytest.mark.parametrize("text", TEXTS)
def test_located_on_demand_as_the_builder_records(text: str) -> None:
    eager, lazy = _eager(text), load_text(text, "wf.yaml")
    assert lazy.tree is not None or lazy.source is not None  # no anchor: nothing recorded while building
    assert lazy.data == eager.data and lazy.problems == eager.problems
    for path in _probes(eager):
        for key in (False, True):
            assert lazy.position(path, key=key) == eager.position(path, key=key), (path, key)
    assert (lazy.key_positions, lazy.value_positions) == (eager.key_positions, eager.value_positions)


@pytest.mark.parametrize(
    "text", ["a: &x {b: 1}\nc: *x\n", "n:\n  <<: {a: 1}\n  b: 2\n", "? [a, b]\n: 1\n", "1: one\n"]
)
def test_anchors_merge_keys_and_keys_not_text_are_recorded_while_building(text: str) -> None:
    doc: Any = load_text(text, "wf.yaml")
    assert doc.tree is None
    eager = _eager(text)
    assert (doc.data, doc.key_positions, doc.value_positions) == (
        eager.data,
        eager.key_positions,
        eager.value_positions,
    )


def test_duplicate_keys_before_a_bad_value_are_still_reported() -> None:
    doc = load_text("a: 1\na: 2\nb: !!bad x\n", "wf.yaml")
    assert [p.id for p in doc.problems] == ["KV004", "KV003"]


def test_many_lookups_make_the_tables_once() -> None:
    text = "nodes:\n" + "".join(f"  n{i}: {{type: X}}\n" for i in range(100))
    doc = load_text(text, "wf.yaml")
    positions = [doc.position(("nodes", f"n{i}", "type")) for i in range(100)]
    assert positions == [(2 + i, 13 + len(str(i))) for i in range(100)]
    assert doc.key_positions[("nodes", "n99")] == (101, 3)
