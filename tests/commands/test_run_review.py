"""Behaviours added after the new-user review: what a refused, stopped or failing run reports."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import kailash, write

CONFIG = """\
runtime: {store: .kailash/kailash.db}
access_control:
  users: {viewer: {roles: [viewer]}}
  roles: {viewer: {permissions: []}, analyst: {permissions: [execute]}}
"""
GUARDED = """\
name: guarded
nodes:
  a: {type: PythonCodeNode, config: {code: "result = 1"}, permissions: {roles: [analyst]}}
"""


def test_a_denied_run_prints_its_json_document_and_is_recorded_as_failed(tmp_path: Path) -> None:
    write(tmp_path / "kailash.yaml", CONFIG)
    write(tmp_path / "wf.yaml", GUARDED)

    proc = kailash("run", "wf.yaml", "--user", "viewer", "-o", "json", cwd=tmp_path)

    doc = json.loads(proc.stdout)
    why = (
        "access denied: user 'viewer' may not run nodes: none of roles [viewer] grants execute "
        "(add it to a role's permissions in access_control.roles)"
    )
    assert proc.returncode == 1
    assert (doc["status"], doc["nodes"], doc["outputs"], doc["error"]) == ("failed", {}, {}, why)
    assert proc.stderr == f"error: {why}\n"
    runs = json.loads(kailash("runs", "-o", "json", cwd=tmp_path).stdout)
    assert [(r["run_id"], r["status"]) for r in runs] == [(doc["run_id"], "failed")]


def test_json_logs_make_start_up_errors_json_too(tmp_path: Path) -> None:
    node = "  a: {type: PythonCodeNode, config: {code: 'result = n', n: '${params.n}'}}\n"
    write(tmp_path / "wf.yaml", "name: p\nparams: {n: {type: integer, required: true}}\nnodes:\n" + node)

    proc = kailash("--log-format", "json", "run", "wf.yaml", "-p", "n=x", cwd=tmp_path)

    records = [json.loads(line) for line in proc.stderr.splitlines()]
    assert proc.returncode == 2
    assert [(r["level"], r["event"], r["message"]) for r in records] == [
        ("error", "error", "-p n: expected an integer, got 'x'")
    ]


def test_json_logs_wrap_what_node_code_writes_to_stderr(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml",
        "name: e\nnodes:\n  a:\n    type: PythonCodeNode\n    config:\n"
        "      code: |\n        import sys\n"
        "        print('to stderr', file=sys.stderr)\n        result = 1\n",
    )

    proc = kailash("--log-format", "json", "run", "wf.yaml", cwd=tmp_path)

    records = [json.loads(line) for line in proc.stderr.splitlines()]
    assert proc.returncode == 0
    assert {"event": "node_output", "node": "a", "line": "to stderr"}.items() <= next(
        r for r in records if r["event"] == "node_output"
    ).items()


def test_retries_cut_short_by_the_breaker_keep_the_real_error(tmp_path: Path) -> None:
    write(tmp_path / "fns.py", "def down():\n    raise ConnectionError('refused')\n")
    write(
        tmp_path / "wf.yaml",
        """\
name: cut
nodes:
  a:
    type: PythonCodeNode
    config: {function: "./fns.py:down"}
    retry: {max_attempts: 5, strategy: immediate}
    circuit_breaker: {failure_threshold: 2, recovery_timeout: 60}
""",
    )

    proc = kailash("run", "wf.yaml", "-o", "json", cwd=tmp_path)

    node = json.loads(proc.stdout)["nodes"]["a"]
    assert proc.returncode == 1
    assert node["attempts"] == 2
    assert node["error"] == (
        "ConnectionError: refused (then CircuitOpenError: circuit breaker is open after "
        "2 failure(s); the node was not called (next trial in 60s))"
    )
    letters = json.loads(kailash("dlq", "-o", "json", cwd=tmp_path).stdout)
    assert [(d["node_id"], d["attempts"]) for d in letters] == [("a", 2)]


def test_runs_status_filter_must_be_a_status(tmp_path: Path) -> None:
    proc = kailash("runs", "--status", "bogus", cwd=tmp_path)

    assert proc.returncode == 2
    assert proc.stderr == (
        "error: --status bogus: not a run status; use one of running, succeeded, failed, interrupted\n"
    )


def test_audit_verify_of_a_directory_says_so(tmp_path: Path) -> None:
    proc = kailash("audit", "verify", str(tmp_path), cwd=tmp_path)

    assert proc.returncode == 2
    assert proc.stderr == (
        f"error: {tmp_path} is a directory; give the audit log file: kailash audit verify LOG\n"
    )
