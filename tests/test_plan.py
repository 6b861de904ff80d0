from __future__ import annotations

import json
from pathlib import Path

from helpers import write

from kailash_cli.compile.compiler import compile
from kailash_cli.compile.plan import plan, render_plan
from kailash_cli.compile.validation import load_workflow

WF = """\
name: planned
params:
  n: {type: integer, default: 2}
secrets:
  key: {env: KEY}
nodes:
  main:
    type: PythonCodeNode
    config: {code: "result = n", n: "${params.n}", home: "${env.HOME_X}", key: "${secrets.key}"}
    fallback: backup
  backup: {type: PythonCodeNode, config: {code: "result = 0"}}
  save:
    type: JSONWriterNode
    config: {file_path: "out/${params.n}-${run.id}.json", data: "${nodes.main.result}"}
    when: "${params.n > 1}"
    depends_on: [main]
"""


def compiled(tmp_path: Path):
    workflow, _ = load_workflow(write(tmp_path / "wf.yaml", WF))
    return compile(workflow)


def test_plan_document(tmp_path: Path) -> None:
    document = plan(compiled(tmp_path), {"n": 3}, {"HOME_X": "/h"})
    assert document == {
        "workflow": "planned",
        "params": {"n": 3},
        "nodes": [
            {
                "id": "main",
                "type": "PythonCodeNode",
                "stage": 1,
                "after": [],
                "params": {"code": "result = n", "n": 3, "home": "/h", "key": "${secrets.key}"},
                "inputs": {},
                "when": None,
                "fallback_only": False,
            },
            {
                "id": "backup",
                "type": "PythonCodeNode",
                "stage": 1,
                "after": [],
                "params": {"code": "result = 0"},
                "inputs": {},
                "when": None,
                "fallback_only": True,
            },
            {
                "id": "save",
                "type": "JSONWriterNode",
                "stage": 2,
                "after": ["main"],
                "params": {"indent": 2, "file_path": "out/3-<run id>.json", "data": "${nodes.main.result}"},
                "inputs": {},
                "when": "${params.n > 1}",
                "fallback_only": False,
            },
        ],
    }


def test_render_text(tmp_path: Path) -> None:
    text = render_plan(plan(compiled(tmp_path), {"n": 3}, {"HOME_X": "/h"}), "text")
    assert text.splitlines() == [
        "plan for planned (dry run: nothing is executed)",
        'params: {"n": 3}',
        "stage 1: main [PythonCodeNode]",
        '    code = "result = n"',
        "    n = 3",
        '    home = "/h"',
        '    key = "${secrets.key}"',
        "stage 1: backup [PythonCodeNode] (fallback only)",
        '    code = "result = 0"',
        "stage 2: save [JSONWriterNode]",
        "    after:  main",
        "    when:   ${params.n > 1}",
        "    indent = 2",
        '    file_path = "out/3-<run id>.json"',
        '    data = "${nodes.main.result}"',
    ]


def test_render_json(tmp_path: Path) -> None:
    document = plan(compiled(tmp_path), {"n": 3}, {})
    assert json.loads(render_plan(document, "json")) == document


PARTS = """\
name: parts
params:
  n: {type: integer, default: 2}
secrets:
  api_key: {env: API_KEY}
nodes:
  src: {type: PythonCodeNode, config: {code: "result = {'x': 1}"}}
  call:
    type: PythonCodeNode
    config:
      code: "result = 1"
      dsn: "url=${DATABASE_URL};key=${secrets.api_key}"
      nested: {a: ["n=${params.n}", "${secrets.api_key}", "${params.n}/${nodes.src.x}"]}
      whole: "${secrets.api_key}"
"""


def test_each_part_of_a_string_is_resolved_on_its_own(tmp_path: Path) -> None:
    workflow, _ = load_workflow(write(tmp_path / "wf.yaml", PARTS))
    document = plan(compile(workflow), {"n": 2}, {"DATABASE_URL": "pg://db"})
    assert document["nodes"][1]["params"] == {
        "code": "result = 1",
        "dsn": "url=pg://db;key=${secrets.api_key}",
        "nested": {"a": ["n=2", "${secrets.api_key}", "2/${nodes.src.x}"]},
        "whole": "${secrets.api_key}",
    }
