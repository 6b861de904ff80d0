"""Huge values told in a line (report/summary.py), in the store and on stdout (issue 15, item 3)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import kailash, write

from kailash_cli.model.stream import Stream
from kailash_cli.report.summary import describe, is_large, summarised

ROWS = [{"id": i, "name": f"customer {i}"} for i in range(50)]  # about 1.7 KB of JSON


@pytest.mark.parametrize(
    ("value", "limit", "large"),
    [
        (ROWS, len(json.dumps(ROWS)) * 2, False),
        (ROWS, len(json.dumps(ROWS)) // 2, True),
        ("x" * 100, 90, True),
        ("x" * 100, 110, False),
        (b"x" * 100, 90, True),
        ({"k" * 100: 1}, 90, True),
        ((1, 2, 3), 100, False),
        (12345, 10, True),
        (None, 100, False),
    ],
)
def test_is_large_estimates_the_json_size(value: object, limit: int, large: bool) -> None:
    assert is_large(value, limit) is large


def test_a_stream_is_never_walked_nor_summarised() -> None:
    stream = Stream.__new__(Stream)  # consuming it here would take it from its readers
    assert is_large(stream, 100) is False
    assert summarised({"s": stream}, 100) == {"s": stream}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"a": 1, "b": 2}, "mapping of 2 keys"),
        (list(range(1000)), "list of 1,000 items"),
        ("x" * 2000, "text of 2,000 characters"),
        (b"xy", "2 bytes"),
        (1.5, "float"),
    ],
)
def test_describe(value: object, text: str) -> None:
    assert describe(value) == text


def test_small_values_are_unchanged_and_large_parts_summarised() -> None:
    small = {"count": 50}
    assert summarised(small, 1000) is small
    value = {"count": 50, "rows": ROWS, "note": "n" * 1500}
    assert summarised(value, 1000) == {
        "count": 50,
        "rows": {"summary": "list of 50 items, over 1,000 bytes as JSON", "first": ROWS[:3]},
        "note": {"summary": "text of 1,500 characters, over 1,000 bytes as JSON", "first": "n" * 200},
    }
    many = {f"k{i}": i for i in range(100)}  # no value large, all of them together are
    assert summarised(many, 200) == {"summary": "mapping of 100 keys, over 200 bytes as JSON"}
    assert (
        summarised(list(range(100_000)), 1024 * 1024)["summary"] == "list of 100,000 items, over 1 MB as JSON"
    )


BIG = """\
name: big
nodes:
  make:
    type: PythonCodeNode
    config:
      code: "result = [{'id': i, 'name': 'customer %d' % i} for i in range(120000)]"
  count:
    type: PythonCodeNode
    config: {code: "result = len(rows)"}
connections:
  - "make.result -> count.rows"
"""


def test_a_huge_output_is_summarised_in_the_store_and_on_stdout(
    tmp_path: Path,
) -> None:
    write(tmp_path / "big.yaml", BIG)  # about 4.5 MB of rows: over the store's 4 MB
    done = kailash("run", "big.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["make"]["result"] == {
        "summary": "list of 120,000 items, over 1 MB as JSON",
        "first": [
            {"id": 0, "name": "customer 0"},
            {"id": 1, "name": "customer 1"},
            {"id": 2, "name": "customer 2"},
        ],
    }
    assert shown["count"] == {"result": 120000}
    assert "note: values over 1 MB are summarised; `--output json` prints them whole" in done.stderr
    store = tmp_path / ".kailash" / "kailash.db"
    assert store.stat().st_size < 1024 * 1024
    with sqlite3.connect(store) as db:
        outputs, extra = db.execute(
            "SELECT outputs, extra FROM node_executions WHERE node_id='make'"
        ).fetchone()
    assert json.loads(extra)["large"] is True
    assert json.loads(outputs)["result"]["summary"] == "list of 120,000 items, over 4 MB as JSON"
    whole = kailash("run", "big.yaml", "--output", "json", cwd=tmp_path)
    assert len(json.loads(whole.stdout)["outputs"]["make"]["result"]) == 120000


def test_the_readme_example_prints_what_it_says(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Big outputs: summaries in the store and on stdout") :]
    workflow = section[section.index("<<'YAML'\n") + 9 : section.index("\nYAML\n")]
    write(tmp_path / "big.yaml", workflow + "\n")
    done = kailash("run", "big.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["make"]["result"]["summary"] == "list of 200,000 items, over 1 MB as JSON"
    assert '# {"make": {"result": {"summary": "list of 200,000 items, over 1 MB as JSON",' in section
