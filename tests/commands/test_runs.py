"""``kailash runs [list|show RUN_ID]``: run history from the store, through the installed CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import kailash, write

ALPHA = """\
name: alpha
params:
  n: {type: integer, default: 2}
nodes:
  make:
    type: PythonCodeNode
    config: {code: "result = {'n': n}", n: "${params.n}"}
  double:
    type: PythonCodeNode
    config: {code: "result = n * 2"}
connections: ["make.n -> double.n"]
"""

BETA = """\
name: beta
nodes:
  fail:
    type: PythonCodeNode
    config: {code: "raise ValueError('row 3 is bad')"}
    retry: {max_attempts: 2, strategy: immediate}
  after:
    type: PythonCodeNode
    config: {code: "result = x"}
connections: ["fail.result -> after.x"]
"""

RUN_KEYS = ["run_id", "workflow", "status", "started_at", "duration_ms", "outputs", "nodes"]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """Three runs, oldest first: alpha (n=1), beta (fails), alpha (n=3)."""
    project = tmp_path_factory.mktemp("runs")
    write(project / "alpha.yaml", ALPHA)
    write(project / "beta.yaml", BETA)
    docs = []
    for args in (["alpha.yaml", "-p", "n=1"], ["beta.yaml"], ["alpha.yaml", "-p", "n=3"]):
        proc = kailash("run", *args, "-o", "json", cwd=project)
        assert proc.returncode in (0, 1), proc.stderr
        docs.append(json.loads(proc.stdout))
    return project, docs


def _listed(project: Path, *args: str) -> list[dict[str, Any]]:
    proc = kailash("runs", "list", "-o", "json", *args, cwd=project)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_list_json_is_newest_first_with_the_list_keys(history: tuple[Path, list[dict[str, Any]]]) -> None:
    project, docs = history

    listed = _listed(project)

    assert listed == [
        {
            "run_id": d["run_id"],
            "workflow": d["workflow"],
            "status": d["status"],
            "started_at": d["started_at"],
            "duration_ms": d["duration_ms"],
        }
        for d in reversed(docs)
    ]
    assert [r["status"] for r in listed] == ["succeeded", "failed", "succeeded"]


def test_list_filters_by_workflow_status_and_limit(history: tuple[Path, list[dict[str, Any]]]) -> None:
    project, docs = history
    alpha_old, beta, alpha_new = (d["run_id"] for d in docs)

    assert [r["run_id"] for r in _listed(project, "--workflow", "alpha")] == [alpha_new, alpha_old]
    assert [r["run_id"] for r in _listed(project, "-w", "beta")] == [beta]
    assert [r["run_id"] for r in _listed(project, "--status", "failed")] == [beta]
    assert [r["run_id"] for r in _listed(project, "-s", "succeeded", "-n", "1")] == [alpha_new]
    assert [r["run_id"] for r in _listed(project, "--limit", "2")] == [alpha_new, beta]
    assert _listed(project, "-w", "alpha", "-s", "failed") == []


def test_list_text_is_a_table_and_runs_alone_lists(history: tuple[Path, list[dict[str, Any]]]) -> None:
    project, docs = history

    proc = kailash("runs", "list", cwd=project)
    bare = kailash("runs", cwd=project)
    empty = kailash("runs", "list", "-w", "nope", cwd=project)

    lines = proc.stdout.splitlines()
    assert proc.returncode == 0
    assert lines[0] == (
        "RUN_ID        WORKFLOW              STATUS       STARTED_AT                     DURATION_MS"
    )
    assert [line.split()[:4] for line in lines[1:]] == [
        [d["run_id"], d["workflow"], d["status"], d["started_at"]] for d in reversed(docs)
    ]
    assert bare.stdout == proc.stdout
    assert (empty.returncode, empty.stdout) == (0, "no runs\n")


def test_show_json_is_the_run_output_json_document(history: tuple[Path, list[dict[str, Any]]]) -> None:
    project, docs = history

    for doc in docs:
        proc = kailash("runs", "show", doc["run_id"], "-o", "json", cwd=project)
        shown = json.loads(proc.stdout)
        assert proc.returncode == 0
        assert list(shown)[: len(RUN_KEYS)] == RUN_KEYS
        assert {k: shown[k] for k in RUN_KEYS} == doc  # started_at included: the same instant
        assert {k: shown[k] for k in ("resumed_from", "error")} == {"resumed_from": None, "error": None}
    beta = json.loads(kailash("runs", "show", docs[1]["run_id"], "-o", "json", cwd=project).stdout)
    assert {n: (r["status"], r["attempts"], r["error"]) for n, r in beta["nodes"].items()} == {
        "fail": ("failed", 2, "ValueError: row 3 is bad"),
        "after": ("skipped", 0, "input from 'fail' did not arrive (failed)"),
    }
    alpha = json.loads(kailash("runs", "show", docs[2]["run_id"], "-o", "json", cwd=project).stdout)
    assert (alpha["params"], alpha["outputs"]["double"]) == ({"n": 3}, {"result": 6})


def test_show_text(history: tuple[Path, list[dict[str, Any]]]) -> None:
    project, docs = history
    beta = docs[1]

    proc = kailash("runs", "show", beta["run_id"], cwd=project)

    lines = proc.stdout.splitlines()
    assert proc.returncode == 0
    assert lines[0] == (
        f"run {beta['run_id']}: beta failed, started {beta['started_at']}, {beta['duration_ms']:.0f} ms"
    )
    assert lines[1].split()[:4] == ["failed", "fail", "attempts", "2"]
    assert lines[1].endswith("ms  ValueError: row 3 is bad")
    assert lines[2].split()[:4] == ["skipped", "after", "attempts", "0"]
    assert lines[3] == "outputs: {}"


def test_show_an_unknown_run_is_exit_2(history: tuple[Path, list[dict[str, Any]]]) -> None:
    project, _ = history

    proc = kailash("runs", "show", "nope", cwd=project)

    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["error: unknown run id 'nope'; `kailash runs list` shows the runs"]


def test_without_a_store_there_are_no_runs_and_no_store_is_made(tmp_path: Path) -> None:
    listed = kailash("runs", "list", "-o", "json", cwd=tmp_path)
    text = kailash("runs", cwd=tmp_path)
    shown = kailash("runs", "show", "abc", cwd=tmp_path)

    assert (listed.returncode, json.loads(listed.stdout)) == (0, [])
    assert (text.returncode, text.stdout) == (0, "no runs\n")
    assert shown.returncode == 2
    assert list(tmp_path.iterdir()) == []


def test_show_text_marks_restored_and_fallback_nodes(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml",
        """\
        name: marks
        params:
          fail: {type: boolean, default: true}
        nodes:
          first: {type: PythonCodeNode, config: {code: "result = 1"}}
          gate:
            type: PythonCodeNode
            config: {code: "result = 1 / (0 if fail else 1)", fail: "${params.fail}"}
            depends_on: [first]
          primary:
            type: PythonCodeNode
            config: {code: "raise ConnectionError('down')"}
            fallback: spare
          spare: {type: PythonCodeNode, config: {code: "result = 0"}}
        """,
    )
    failed = json.loads(kailash("run", "wf.yaml", "-o", "json", cwd=tmp_path).stdout)
    write(tmp_path / "wf.yaml", (tmp_path / "wf.yaml").read_text().replace("default: true", "default: false"))
    resumed = json.loads(
        kailash("run", "wf.yaml", "--resume", failed["run_id"], "-o", "json", cwd=tmp_path).stdout
    )

    lines = kailash("runs", "show", resumed["run_id"], cwd=tmp_path).stdout.splitlines()

    assert lines[1] == "resumed from " + failed["run_id"]
    assert lines[2].startswith("  succeeded first ")
    assert lines[2].endswith("ms  (restored from the resumed run)")
    assert lines[4].startswith("  failed    primary ")
    assert lines[4].endswith("ms  ConnectionError: down (fallback 'spare' stood in)")
