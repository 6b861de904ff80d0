"""on_failure nodes: the engine runs them only after a failure (engine/handlers.py), and
validate keeps them off the success path (compile/failure_checks.py, KV220-KV222)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import kailash, run_workflow, statuses, write

from kailash_cli.compile.validation import check_document
from kailash_cli.load.yaml_io import load_text
from kailash_cli.model.result import Problem

FAILING = """
name: nightly
secrets:
  token: {env: TOKEN}
nodes:
  ok:
    type: PythonCodeNode
    config: {code: "result = 41"}
  first:
    type: PythonCodeNode
    config: {code: "raise ValueError('bad row 7 with ' + token)", token: "${secrets.token}"}
  second:
    type: PythonCodeNode
    config: {code: "raise KeyError('x')"}
    depends_on: [first]
    continue_on_error: true
  note:
    type: PythonCodeNode
    config:
      code: "result = {'node': node, 'error': error, 'nodes': nodes, 'status': status, 'ok': ok}"
      node: "${failure.node}"
      error: "${failure.error}"
      nodes: "${failure.nodes}"
      status: "${run.status}"
      ok: "${nodes.ok.result}"
  shout:
    type: PythonCodeNode
    config: {code: "result = text.upper()", text: "${nodes.note.error}"}
on_failure: [note, shout]
"""


def test_handlers_run_after_the_failure_and_see_it_with_secrets_redacted(tmp_path: Path) -> None:
    result = run_workflow(tmp_path, FAILING, secrets={"token": "hunter22"})
    assert result.status == "failed"
    assert statuses(result) == {
        "ok": "succeeded",
        "first": "failed",
        "second": "skipped",
        "note": "succeeded",
        "shout": "succeeded",
    }
    note = result.outputs["note"]["result"]
    assert note == {
        "node": "first",
        "error": "ValueError: bad row 7 with ***",
        "nodes": ["first"],
        "status": "failed",
        "ok": 41,
    }
    assert result.outputs["shout"]["result"] == "VALUEERROR: BAD ROW 7 WITH ***"


def test_failure_nodes_lists_every_failed_node_in_order(tmp_path: Path) -> None:
    text = FAILING.replace("    depends_on: [first]\n    continue_on_error: true\n", "")
    result = run_workflow(
        tmp_path, text.replace("max_concurrency", ""), secrets={"token": "t"}, max_concurrency=1
    )
    note = result.outputs["note"]["result"]
    assert note["nodes"] == ["first", "second"]
    assert note["node"] == "first"


def test_handlers_are_skipped_when_only_allowed_failures_happened(tmp_path: Path) -> None:
    text = FAILING.replace("raise ValueError('bad row 7 with ' + token)", "result = token")
    result = run_workflow(tmp_path, text, secrets={"token": "t"})
    assert result.status == "succeeded"  # 'second' failed, but continue_on_error allows it
    assert statuses(result)["note"] == statuses(result)["shout"] == "skipped"
    assert result.nodes["note"].error == "the run did not fail"


def test_a_failing_handler_keeps_the_run_failed_with_the_first_error(tmp_path: Path) -> None:
    text = FAILING.replace("result = text.upper()", "raise RuntimeError('alert down')")
    result = run_workflow(tmp_path, text, secrets={"token": "t"})
    assert result.status == "failed"
    assert result.nodes["first"].error == "ValueError: bad row 7 with t"
    assert result.nodes["shout"].error == "RuntimeError: alert down"


def test_handlers_still_run_when_the_run_timed_out(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: slow
        nodes:
          wait: {type: PythonCodeNode, config: {code: "import time; time.sleep(30)"}}
          after: {type: PythonCodeNode, config: {code: "result = 1"}, depends_on: [wait]}
          note: {type: PythonCodeNode, config: {code: "result = e", e: "${failure.error}"}}
          late: {type: PythonCodeNode, config: {code: "result = x", x: "${nodes.after.result}"}}
        on_failure: [note, late]
        """,
        timeout=0.5,
    )
    assert result.status == "failed"
    assert result.outputs["note"]["result"] == "TimeoutError: run timed out after 0.5s"
    assert statuses(result) == {
        "wait": "failed",
        "after": "skipped",
        "note": "succeeded",
        "late": "skipped",
    }
    assert result.nodes["late"].error == "input from 'after' did not arrive (skipped)"


def test_run_output_json_shows_handler_statuses(tmp_path: Path) -> None:
    wf = write(tmp_path / "wf.yaml", FAILING)
    proc = kailash("run", wf, "--output", "json", cwd=tmp_path, extra_env={"TOKEN": "hunter22"})
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "failed"
    assert doc["nodes"]["note"]["status"] == doc["nodes"]["shout"]["status"] == "succeeded"
    assert doc["nodes"]["first"]["error"] == "ValueError: bad row 7 with ***"
    assert doc["outputs"]["shout"]["result"] == "VALUEERROR: BAD ROW 7 WITH ***"
    assert "hunter22" not in proc.stdout + proc.stderr


def check(text: str) -> list[str]:
    problems: list[Problem] = check_document(load_text(text, "wf.yaml"))
    return [f"{p.line}:{p.column}: {p.id}: {p.message}" for p in problems]


def test_validate_accepts_the_failing_example() -> None:
    assert check(FAILING) == []


def test_validate_unknown_handler_and_handler_on_the_success_path() -> None:
    text = """\
name: wf
nodes:
  a: {type: PythonCodeNode, config: {code: "result = 1"}}
  alert: {type: PythonCodeNode, config: {code: "result = 2"}}
  after: {type: PythonCodeNode, config: {code: "result = x", x: "${nodes.alert.result}"}}
  spare: {type: PythonCodeNode, config: {code: "result = 3"}}
  b: {type: PythonCodeNode, config: {code: "result = 1"}, fallback: spare}
on_failure: [alert, alrt, spare]
"""
    assert check(text) == [
        "8:14: KV221: on_failure node 'alert' runs only when the run has failed, but 'after' of "
        "the normal path waits for it",
        "8:21: KV220: on_failure names unknown node 'alrt' (did you mean 'alert'?)",
        "8:27: KV221: on_failure node 'spare' is also another node's fallback",
    ]


def test_failure_outside_a_handler_and_unknown_failure_field() -> None:
    text = """\
name: wf
nodes:
  a: {type: PythonCodeNode, config: {code: "result = 1", e: "${failure.error}"}}
  alert: {type: PythonCodeNode, config: {code: "result = 1", e: "${failure.eror}", s: "${run.status}"}}
on_failure: [alert]
outputs: {why: "${failure.node}"}
"""
    assert check(text) == [
        "3:61: KV222: ${failure.error}: failure is known only in the nodes listed under on_failure:",
        "4:65: KV305: ${failure.eror}: failure has no field 'eror'",
        "6:16: KV222: ${failure.node}: failure is known only in the nodes listed under on_failure:",
    ]


def test_dry_run_marks_on_failure_nodes(tmp_path: Path) -> None:
    wf = write(tmp_path / "wf.yaml", FAILING)
    proc = kailash("run", wf, "--dry-run", cwd=tmp_path, extra_env={"TOKEN": "x"})
    assert proc.returncode == 0, proc.stderr
    assert (
        "stage 2: note [PythonCodeNode] (on_failure: runs only if the run fails)" in proc.stdout.splitlines()
    )
