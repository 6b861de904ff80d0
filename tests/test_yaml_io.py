from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from kailash_cli.load.yaml_io import Document, load, load_text
from kailash_cli.model.result import Problem


def test_positions_are_one_based_for_keys_and_values() -> None:
    doc = load_text("name: demo\nnodes:\n  read:\n    type: CSVReaderNode\n    tags: [a, b]\n", "wf.yaml")

    assert doc.problems == []
    assert doc.data == {"name": "demo", "nodes": {"read": {"type": "CSVReaderNode", "tags": ["a", "b"]}}}
    assert doc.key_positions == {
        ("name",): (1, 1),
        ("nodes",): (2, 1),
        ("nodes", "read"): (3, 3),
        ("nodes", "read", "type"): (4, 5),
        ("nodes", "read", "tags"): (5, 5),
    }
    assert doc.value_positions[("name",)] == (1, 7)
    assert doc.value_positions[("nodes", "read", "type")] == (4, 11)
    assert doc.value_positions[("nodes", "read", "tags", 0)] == (5, 12)
    assert doc.value_positions[("nodes", "read", "tags", 1)] == (5, 15)


def test_position_falls_back_to_the_nearest_parent() -> None:
    doc = load_text("nodes:\n  read:\n    type: X\n", "wf.yaml")

    assert doc.position(("nodes", "read", "config", "file_path")) == (3, 5)
    assert doc.position(("nodes", "read"), key=True) == (2, 3)
    assert doc.position(("other",), key=True) is None


def test_problem_is_located_at_the_path() -> None:
    doc = load_text("nodes:\n  read:\n    type: X\n", "wf.yaml")

    assert doc.problem("KV202", "bad type", ("nodes", "read", "type"), fix="fix it") == Problem(
        "KV202", "error", "bad type", "wf.yaml", 3, 11, "fix it"
    )
    assert doc.problem("KV307", "w", ("nodes", "read"), key=True, severity="warning") == Problem(
        "KV307", "warning", "w", "wf.yaml", 2, 3, None
    )


def test_problem_without_any_position_has_none() -> None:
    assert Document(file="x.yaml", data=None).problem("KV005", "m", ()) == Problem(
        "KV005", "error", "m", "x.yaml", None, None, None
    )


def test_anchors_and_aliases_share_the_value() -> None:
    doc = load_text("defaults: &d {delimiter: ';', has_header: false}\na: *d\nb: *d\n", "wf.yaml")

    assert doc.problems == []
    assert doc.data["a"] == {"delimiter": ";", "has_header": False}
    assert doc.data["b"] == doc.data["a"]
    assert doc.value_positions[("a",)] == (1, 11)  # an alias is where its anchor is written


def test_merge_keys_fill_in_without_overriding() -> None:
    text = (
        "base: &base {retry: 3, timeout: 10}\n"
        "extra: &extra {timeout: 20, when: 'x'}\n"
        "node:\n"
        "  <<: [*base, *extra]\n"
        "  timeout: 30\n"
    )
    doc = load_text(text, "wf.yaml")

    assert doc.problems == []
    assert doc.data["node"] == {"timeout": 30, "retry": 3, "when": "x"}
    assert doc.value_positions[("node",)] == (4, 3)  # the mapping, not the merged anchor
    assert doc.value_positions[("node", "timeout")] == (5, 12)


def test_merge_key_with_an_inline_mapping() -> None:
    doc = load_text("node:\n  <<: {a: 1, b: 2}\n  b: 3\n", "wf.yaml")

    assert doc.data == {"node": {"b": 3, "a": 1}}
    assert doc.value_positions[("node",)] == (2, 3)


def test_first_merge_source_wins_over_later_ones() -> None:
    doc = load_text("x: &x {k: 1}\ny: &y {k: 2}\nz:\n  <<: [*x, *y]\n", "wf.yaml")

    assert doc.data["z"] == {"k": 1}


def test_duplicate_keys_are_all_reported_and_located() -> None:
    text = "name: a\nnodes:\n  n: {type: A, type: B}\n  m: {}\n  n: {type: C}\nname: b\n"
    doc = load_text(text, "wf.yaml")

    fix = "remove one of the two entries; the last one wins"
    assert doc.problems == [
        Problem("KV004", "error", "duplicate key 'type'", "wf.yaml", 3, 16, fix),
        Problem("KV004", "error", "duplicate key 'n'", "wf.yaml", 5, 3, fix),
        Problem("KV004", "error", "duplicate key 'name'", "wf.yaml", 6, 1, fix),
    ]
    assert doc.data == {"name": "b", "nodes": {"n": {"type": "C"}, "m": {}}}


def test_duplicate_key_forgets_the_positions_of_the_replaced_value() -> None:
    doc = load_text("n:\n  config: {a: 1}\nn:\n  type: X\n", "wf.yaml")

    assert doc.position(("n", "config")) == (4, 3)
    assert ("n", "config") not in doc.key_positions


def test_non_utf8_file_is_located_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9 au lait\n")

    doc = load(path, display="wf.yaml")

    assert doc.data is None
    assert doc.problems == [
        Problem("KV002", "error", "file is not UTF-8 (byte 0xe9)", "wf.yaml", 2, 17, "save the file as UTF-8")
    ]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_bytes("\ufeffname: café\n".encode())

    doc = load(path)

    assert doc.problems == []
    assert doc.data == {"name": "café"}
    assert doc.file == str(path)


@pytest.mark.parametrize(
    ("text", "problem", "line", "col"),
    [
        (
            "a: [1\n",
            "YAML syntax error: while parsing a flow sequence did not find expected ',' or ']'",
            2,
            1,
        ),
        ("a: b: c\n", "YAML syntax error: mapping values are not allowed in this context", 1, 5),
        (
            "a: 1\n\tb: 2\n",
            "YAML syntax error: while scanning a plain scalar found a tab character that "
            "violates indentation",
            2,
            1,
        ),
        ("a: *nothing\n", "YAML syntax error: found undefined alias", 1, 4),
        (
            "a: 1\n---\nb: 2\n",
            "YAML syntax error: expected a single document in the stream but found another document",
            2,
            1,
        ),
    ],
)
def test_yaml_syntax_error_is_one_located_problem(text: str, problem: str, line: int, col: int) -> None:
    doc = load_text(text, "wf.yaml")

    assert doc.data is None
    assert doc.problems == [
        Problem("KV003", "error", problem, "wf.yaml", line, col, "fix the YAML syntax at this position")
    ]


def test_control_character_is_located() -> None:
    doc = load_text("a: 1\nb: x\x07y\n", "wf.yaml")

    assert doc.problems == [
        Problem(
            "KV003",
            "error",
            "YAML error: character #x0007 is not allowed (control characters are not allowed)",
            "wf.yaml",
            2,
            5,
            "remove it, or write it as an escape inside double quotes",
        )
    ]


def test_unknown_tag_is_located() -> None:
    doc = load_text("a: 1\nb: !custom x\n", "wf.yaml")

    assert doc.problems == [
        Problem(
            "KV003",
            "error",
            "YAML value error: could not determine a constructor for the tag '!custom'",
            "wf.yaml",
            2,
            4,
            "fix the value",
        )
    ]


def test_recursive_alias_is_a_problem_not_a_crash() -> None:
    doc = load_text("a: &x [1, *x]\n", "wf.yaml")

    assert doc.data == {"a": [1, None]}
    assert doc.problems == [
        Problem(
            "KV003",
            "error",
            "YAML alias refers to a value that contains it (recursive data)",
            "wf.yaml",
            1,
            4,
            "copy the value instead of using an alias inside itself",
        )
    ]


def test_bad_value_for_an_explicit_tag() -> None:
    doc = load_text("a: !!int abc\n", "wf.yaml")

    assert [(p.id, p.line) for p in doc.problems] == [("KV003", None)]
    assert doc.problems[0].message.startswith("YAML value error: ")
    assert "\n" not in doc.problems[0].message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_document_has_no_data_and_no_problem(text: str) -> None:
    doc = load_text(text, "wf.yaml")

    assert (doc.data, doc.problems) == (None, [])


def test_top_level_list_is_loaded_as_a_list() -> None:
    # the workflow and config checks turn this into KV005
    assert load_text("- a\n- b\n", "wf.yaml").data == ["a", "b"]


def test_timestamps_and_binary_stay_strings() -> None:
    doc = load_text("day: 2024-01-31\nat: 2024-01-31T10:00:00Z\nraw: !!binary aGVsbG8=\n", "wf.yaml")

    assert doc.data == {"day": "2024-01-31", "at": "2024-01-31T10:00:00Z", "raw": "aGVsbG8="}


def test_keys_become_strings() -> None:  # YAML 1.2: `no` is a string
    doc = load_text("1: a\ntrue: b\nnull: c\n1.5: d\n? [x, y]\n: e\nno: f\n", "wf.yaml")

    assert doc.data == {"1": "a", "true": "b", "null": "c", "1.5": "d", "['x', 'y']": "e", "no": "f"}
    assert doc.key_positions[("true",)] == (2, 1)


def test_scalars_keep_their_yaml_types() -> None:
    doc = load_text("i: 3\nf: 1.5\nb: yes\nn: ~\ns: '3'\nt: true\n", "wf.yaml")

    # YAML 1.2: `yes` is a string, `true` a boolean
    assert doc.data == {"i": 3, "f": 1.5, "b": "yes", "n": None, "s": "3", "t": True}


def test_missing_file_is_kv001(tmp_path: Path) -> None:
    doc = load(tmp_path / "missing.yaml", display="missing.yaml")

    assert doc.data is None
    assert doc.problems == [
        Problem(
            "KV001",
            "error",
            "cannot read file: No such file or directory",
            "missing.yaml",
            None,
            None,
            "check the path and its permissions",
        )
    ]


def test_directory_is_kv001(tmp_path: Path) -> None:
    doc = load(tmp_path)

    assert [(p.id, p.message) for p in doc.problems] == [
        ("KV001", "cannot read file: it is a directory, not a regular file")
    ]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_kv001(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text("name: x\n")
    path.chmod(0)

    doc = load(path)

    assert [(p.id, p.message) for p in doc.problems] == [("KV001", "cannot read file: Permission denied")]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("l: &l [1, 2]\nm:\n  <<: *l\n", [(1, 8), (1, 11)]),
        ("m:\n  <<: [{x: 1}, 3]\n", [(2, 16)]),
        ("m:\n  <<: 3\n", [(2, 7)]),
    ],
)
def test_merge_of_something_other_than_a_mapping_is_a_problem(
    text: str, where: list[tuple[int, int]]
) -> None:
    doc = load_text(text, "wf.yaml")

    assert sorted((p.line, p.column) for p in doc.problems) == where
    assert {(p.id, p.message, p.fix) for p in doc.problems} == {
        (
            "KV003",
            "merge key '<<' needs a mapping or a list of mappings",
            "merge only anchors of mappings (<<: *defaults)",
        )
    }


LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def test_billion_laughs_stops_with_a_located_problem() -> None:
    doc = load_text("name: x\n" + LAUGHS + "nodes: {x: {type: PythonCodeNode, config: {v: *i}}}\n", "wf.yaml")

    assert doc.data is None  # nothing walks the expanded data
    assert doc.problems == [
        Problem(
            "KV003",
            "error",
            "the document expands to more than 1,000,000 values through aliases",
            "wf.yaml",
            8,
            1,
            "use fewer nested aliases (*name): each one repeats the whole value it names",
        )
    ]


def test_a_long_text_aliased_many_times_counts_as_the_values_it_could_hold() -> None:
    """Each alias of a 1 MB text makes every walker read it again (a review's 9 MB text
    aliased 111,110 times hung validate)."""
    big = "x" * 1_000_000
    refs = ", ".join(["*t"] * 9)
    text = f"name: x\nt: &t {big}\nu: &u [{refs}]\nv: &v [{refs.replace('t', 'u')}]\n"
    text += f"w: [{', '.join(['*v'] * 20)}]\n"
    doc = load_text(text, "wf.yaml")

    assert doc.data is None
    assert [(p.id, p.line, p.message) for p in doc.problems] == [
        ("KV003", 5, "the document expands to more than 1,000,000 values through aliases")
    ]
    fine = load_text(f"name: x\nt: &t {big}\nu: [*t, *t]\n", "wf.yaml")
    assert fine.problems == [] and fine.data is not None and fine.data["u"][1] == big


def test_billion_laughs_is_rejected_quickly_by_validate() -> None:
    from kailash_cli.compile.validation import check_document

    start = time.thread_time()  # CPU time: a loaded machine does not make it look slow
    problems = check_document(load_text("name: x\n" + LAUGHS, "wf.yaml"))

    assert [p.id for p in problems] == ["KV003"]
    assert time.thread_time() - start < 5


def test_many_aliases_below_the_limit_are_fine() -> None:
    # 6 levels: 9**6 = 531,441 values, under the limit
    text = "".join(LAUGHS.splitlines(keepends=True)[:6])

    doc = load_text(text, "wf.yaml")

    assert doc.problems == []
    assert doc.data["f"][0][0][0][0][0] == ["lol"] * 9
