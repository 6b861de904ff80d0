"""Block files read line by line: ruamel.yaml's data, or ruamel.yaml reads them."""

from __future__ import annotations

import pytest
from ruamel.yaml.nodes import ScalarNode

from kailash_cli.load.yaml_fast import read_plain
from kailash_cli.load.yaml_io import Document, load_text
from kailash_cli.load.yaml_resolver import plain_tags, safe_yaml
from kailash_cli.load.yaml_tree import Builder

READ_HERE = [
    "a: 1\nb: true\nc: null\nd: ~\ne:\nf: 'x'\ng: \"y # z\"\nh: hello world # c\ni: 0o17\nj: .inf\n"
    "k: 2001-12-14\nl: {}\nm: []\n",
    "a:\n  b:\n    c: 1\n  d:\n  - x\n  - 'y'\ne: 2\n",
    "a:\n- 1\n- 2\nb: 3\n",
    "# c\na: 1\n  # x\n\nb:\n  # y\n  c: d\n",
    "n:\n  x: 1\n  y:\n  z: 2\n",
    'a: .5\nb: (x)\nc: ~/x\nd: result = x + 1\ne: yes\nf: No\ng: 0\nh: "${x}"',
]
ASIDE = [
    "a: b\n  c\n",  # a plain scalar on two lines
    "a: b: c\n",  # a syntax error
    "a: 1\na: 2\n",  # a duplicate key: reported there
    "true: 1\n",  # a key that is not text
    "a:\n  - x\n  y: 1\n",
    "- a\n",  # not a mapping
    "a: &x 1\n",
    "a:\tb\n",
    "a: x  y\n",
    "a: -1\n",
    "a: 'it''s'\n",
    'a: "\\n"\n',
    "a:\n  b: 1\n c: 2\n",
    "",
    "# only\n",
    "a: 1\n---\n",
    "a: é\n",
    "a:#b\n",
    "a: [1]\n",
    "a: x:\n",
    "a:\n  -\n",
    "a:\n- x\n  - y\n",
    "a:\n  b: 1\n- x\n",
    "a: =\n",
    "a: 1\n  b: 2\n",
]


def _read(text: str) -> object:
    yaml = safe_yaml()
    return read_plain(text, yaml.constructor, plain_tags(yaml))


@pytest.mark.parametrize("text", READ_HERE)
def test_block_files_are_read_here_as_ruamel_yaml_reads_them(text: str) -> None:
    yaml = safe_yaml()
    slow = Builder(Document(file="wf.yaml", data=None), yaml).build(yaml.compose(text), ())
    fast, doc = _read(text), load_text(text, "wf.yaml")
    assert fast is not None and doc.source == text and not doc.problems
    assert repr(fast) == repr(slow) == repr(doc.data)


@pytest.mark.parametrize("text", ASIDE)
def test_anything_else_is_left_to_ruamel_yaml(text: str) -> None:
    assert _read(text) is None


def test_a_finding_in_a_file_read_here_is_located_in_the_tree_composed_then() -> None:
    doc = load_text("name: x\nnodes:\n  a:\n    type: Nope\n", "wf.yaml")
    assert doc.tree is None and doc.source is not None
    assert doc.position(("nodes", "a", "type")) == (4, 11)
    assert doc.position(("nodes", "a", "type"), key=True) == (4, 5)
    assert doc.source is None and doc.tree is not None


def test_plain_scalars_get_the_tags_ruamel_yaml_gives_them() -> None:
    yaml = safe_yaml()
    tag_of, resolve = plain_tags(yaml), safe_yaml().resolver.resolve
    texts = ["", "a", "n0", "null", "Null", "~", "true", "False", "1", "-1", "+1", "0o17", "0x1F", "1_000"]
    texts += [".5", "1e3", "-.inf", ".NaN", "2001-12-14", "2001-12-14 12:00:00", "=", "<<", "yes", "x y"]
    for text in texts:
        assert str(tag_of(text)) == str(resolve(ScalarNode, text, (True, False))), text


@pytest.mark.parametrize(("value", "column"), [("z: {}", 103), ("z: []", 103), ("- {}", 102), ("- []", 102)])
def test_an_empty_flow_collection_past_the_nesting_limit_is_too_deep(value: str, column: int) -> None:
    """It is a level too (the line reader took it without counting: a review found it)."""
    deep = "".join(f"{' ' * i}k{i}:\n" for i in range(99)) + " " * 99 + value + "\n"
    doc = load_text(deep, "d.yaml")

    assert doc.data is None
    assert [(p.id, p.line, p.column) for p in doc.problems] == [("KV003", 100, column)]


def test_a_long_run_of_spaces_before_a_stray_character_is_refused_at_once() -> None:
    """Every run of spaces in the line pattern is possessive: with backtracking this line
    took minutes (quadratic in its length); a regression shows as the suite's timeout."""
    assert _read("name: x\n" + " " * 300_000 + "!\n") is None
    assert _read("name: x\n" + "a: b" + " " * 300_000 + "!\n") is None
