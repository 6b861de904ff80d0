"""``kailash dlq replay ID``: a dead letter's node again with its recorded inputs (in-process)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from helpers import kailash, write

FUNCTIONS = """
from pathlib import Path

def check(x, note=""):
    if x == 3 and not Path(__file__).with_name("fixed").exists():
        raise ValueError(f"bad {x}")
    return f"{x} {note}"
"""

WORKFLOW = """\
name: letters
nodes:
  src:
    type: PythonCodeNode
    config: {code: "result = [1, 2, 3, 4]"}
  each:
    type: PythonCodeNode
    foreach: "${nodes.src.result}"
    batch: {on_item_error: dead_letter}
    config: {function: "./fns.py:check", x: "${item}", note: "$${kept} ${item_index}"}
"""


def _project(tmp_path: Path) -> Path:
    write(tmp_path / "fns.py", FUNCTIONS)
    write(tmp_path / "wf.yaml", WORKFLOW)
    proc = kailash("run", "wf.yaml", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outputs"]["each"]["result"] == [
        "1 ${kept} 0",
        "2 ${kept} 1",
        None,
        "4 ${kept} 3",
    ]
    return tmp_path


def test_replay_fails_again_then_succeeds_once_fixed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    letters = json.loads(kailash("dlq", "list", "-o", "json", cwd=project).stdout)
    assert [(d["node_id"], d["inputs"]["x"]) for d in letters] == [("each", 3)]
    again = kailash("dlq", "replay", str(letters[0]["id"]), cwd=project)
    assert again.returncode == 2
    assert "node each ran again in run" in again.stdout and "failed: ValueError: bad 3" in again.stdout
    (project / "fixed").write_text("")
    fixed = kailash("dlq", "replay", str(letters[0]["id"]), "-o", "json", cwd=project)
    assert fixed.returncode == 0, fixed.stderr
    doc = json.loads(fixed.stdout)
    assert doc["status"] == "succeeded"
    assert doc["outputs"]["each"]["result"] == "3 ${kept} 2"  # recorded text is not an expression again
    runs = json.loads(kailash("runs", "list", "-o", "json", cwd=project).stdout)
    assert doc["run_id"] in [r["run_id"] for r in (runs["runs"] if isinstance(runs, dict) else runs)]


def test_replay_refuses_what_it_cannot_run(tmp_path: Path) -> None:
    project = _project(tmp_path)
    for arg, message in (("x1", "must be a number"), ("99", "no dead letter 99")):
        proc = kailash("dlq", "replay", arg, cwd=project)
        assert proc.returncode == 2
        assert message in proc.stderr and "Traceback" not in proc.stderr
    db = sqlite3.connect(project / ".kailash" / "kailash.db")
    db.execute("""UPDATE dead_letters SET inputs = '{"x": "***"}'""")
    db.commit()
    db.close()
    masked = kailash("dlq", "replay", "1", cwd=project)
    assert masked.returncode == 2 and "masked values" in masked.stderr
    (project / "wf.yaml").unlink()
    gone = kailash("dlq", "replay", "1", cwd=project)
    assert gone.returncode == 2 and "is gone" in gone.stderr


def test_clear_deletes_one_nodes_letters_or_all(tmp_path: Path) -> None:
    project = _project(tmp_path)
    write(project / "fns.py", FUNCTIONS.replace("x == 3", "x in (1, 3)"))
    assert kailash("run", "wf.yaml", cwd=project).returncode == 0  # two more letters of 'each'
    with sqlite3.connect(project / ".kailash" / "kailash.db") as db:
        db.execute(
            "INSERT INTO dead_letters (run_id, workflow, node_id, node_type, attempts, created_at) "
            "VALUES ('r', 'letters', 'other', 'PythonCodeNode', 1, 'now')"
        )
    one = kailash("dlq", "clear", "--node", "each", cwd=project)
    assert (one.returncode, one.stdout) == (0, "cleared 3 dead letters of node 'each'\n")
    left = json.loads(kailash("dlq", "list", "-o", "json", cwd=project).stdout)
    assert [d["node_id"] for d in left] == ["other"]
    rest = kailash("dlq", "clear", cwd=project)
    assert (rest.returncode, rest.stdout) == (0, "cleared 1 dead letter\n")
    assert kailash("dlq", "list", cwd=project).stdout == "the dead-letter queue is empty\n"


def test_a_dead_letter_that_read_a_stream_is_not_replayed(tmp_path: Path) -> None:
    write(tmp_path / "data" / "in.jsonl", '{"a": 1}\n{"a": 2, "b": 3}\n', dedent=False)
    write(
        tmp_path / "wf.yaml",
        """\
        name: streamed
        nodes:
          read: {type: JSONReaderNode, config: {file_path: data/in.jsonl, chunk_size: 1}}
          out: {type: CSVWriterNode, config: {file_path: out/rows.csv}}
        connections: [read.data -> out.data]
        """,
    )
    failed = kailash("run", "wf.yaml", cwd=tmp_path)
    assert failed.returncode == 1 and "row 2 has key 'b'" in failed.stderr
    [letter] = json.loads(kailash("dlq", "list", "-o", "json", cwd=tmp_path).stdout)
    replay = kailash("dlq", "replay", str(letter["id"]), cwd=tmp_path)
    assert replay.returncode == 2
    assert "its input 'data' was a stream, read once and not recorded" in replay.stderr
