"""``kailash dlq [list|show ID]``: node executions that failed for good, through the installed CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import kailash, write

WORKFLOW = """\
name: letters
params:
  row: {type: integer, default: 3}
nodes:
  load:
    type: PythonCodeNode
    config: {code: "result = {'rows': [1, 2, row]}", row: "${params.row}"}
  parse:
    type: PythonCodeNode
    config: {code: "raise ValueError(f'bad row {rows[-1]}')", strict: true}
    retry: {max_attempts: 2, strategy: immediate}
  fine:
    type: PythonCodeNode
    config: {code: "result = 1"}
connections: ["load.rows -> parse.rows"]
"""

HEADER = "   ID  RUN_ID        WORKFLOW              NODE                  ATTEMPTS  ERROR"


@pytest.fixture(scope="module")
def queue(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Two failed runs of `letters` (row 3, then row 4): two dead letters."""
    project = tmp_path_factory.mktemp("dlq")
    write(project / "wf.yaml", WORKFLOW)
    run_ids = []
    for row in (3, 4):
        proc = kailash("run", "wf.yaml", "-p", f"row={row}", "-o", "json", cwd=project)
        assert proc.returncode == 1, proc.stderr
        run_ids.append(json.loads(proc.stdout)["run_id"])
    return project, run_ids


def _letter(letter_id: int, run_id: str, row: int) -> dict[str, Any]:
    return {
        "id": letter_id,
        "run_id": run_id,
        "workflow": "letters",
        "node_id": "parse",
        "node_type": "PythonCodeNode",
        "inputs": {"code": "raise ValueError(f'bad row {rows[-1]}')", "strict": True, "rows": [1, 2, row]},
        "error": f"ValueError: bad row {row}",
        "attempts": 2,
    }


def test_list_json_newest_first_with_inputs_and_error(queue: tuple[Path, list[str]]) -> None:
    project, (first, second) = queue

    proc = kailash("dlq", "list", "-o", "json", cwd=project)

    letters = json.loads(proc.stdout)
    assert proc.returncode == 0
    assert [{k: v for k, v in d.items() if k != "created_at"} for d in letters] == [
        _letter(2, second, 4),
        _letter(1, first, 3),
    ]
    assert all(d["created_at"].endswith("+00:00") for d in letters)
    limited = json.loads(kailash("dlq", "list", "-n", "1", "-o", "json", cwd=project).stdout)
    assert [d["id"] for d in limited] == [2]


def test_list_text_and_dlq_alone(queue: tuple[Path, list[str]]) -> None:
    project, (first, second) = queue

    proc = kailash("dlq", "list", cwd=project)
    bare = kailash("dlq", cwd=project)

    assert proc.returncode == 0
    assert proc.stdout.splitlines() == [
        HEADER,
        f"    2  {second}  letters               parse                        2  ValueError: bad row 4",
        f"    1  {first}  letters               parse                        2  ValueError: bad row 3",
    ]
    assert bare.stdout == proc.stdout


def test_show_one_letter(queue: tuple[Path, list[str]]) -> None:
    project, (first, _) = queue

    as_json = kailash("dlq", "show", "1", "-o", "json", cwd=project)
    as_text = kailash("dlq", "show", "1", cwd=project)

    letter = json.loads(as_json.stdout)
    assert as_json.returncode == as_text.returncode == 0
    assert {k: v for k, v in letter.items() if k != "created_at"} == _letter(1, first, 3)
    assert as_text.stdout.splitlines() == [
        f"dead letter 1: node parse (PythonCodeNode) of letters, run {first}, {letter['created_at']}",
        "attempts: 2",
        "error: ValueError: bad row 3",
        "inputs: {",
        '  "code": "raise ValueError(f\'bad row {rows[-1]}\')",',
        '  "strict": true,',
        '  "rows": [',
        "    1,",
        "    2,",
        "    3",
        "  ]",
        "}",
    ]


@pytest.mark.parametrize(
    ("letter_id", "message"),
    [
        ("99", "error: no dead letter 99; `kailash dlq list` shows them"),
        ("abc", "error: dead letter id must be a number, got 'abc'"),
    ],
)
def test_show_an_unknown_letter_is_exit_2(
    queue: tuple[Path, list[str]], letter_id: str, message: str
) -> None:
    project, _ = queue

    proc = kailash("dlq", "show", letter_id, cwd=project)

    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [message]


def test_an_empty_queue(tmp_path: Path) -> None:
    text = kailash("dlq", cwd=tmp_path)
    as_json = kailash("dlq", "list", "-o", "json", cwd=tmp_path)
    shown = kailash("dlq", "show", "1", cwd=tmp_path)

    assert (text.returncode, text.stdout) == (0, "the dead-letter queue is empty\n")
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, [])
    assert shown.returncode == 2
    assert list(tmp_path.iterdir()) == []  # reading makes no store
