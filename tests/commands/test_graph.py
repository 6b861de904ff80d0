from __future__ import annotations

from pathlib import Path

import pytest
from helpers import RunCli, write_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "workflows").glob("*.yaml"))

WORKFLOW = """\
name: shapes
nodes:
  start:
    type: JSONReaderNode
    config: {file_path: in.json}
    fallback: backup
  backup:
    type: JSONReaderNode
    config: {file_path: backup.json}
  score:
    type: PythonCodeNode
    config: {code: "result = rows", rows: "${nodes.start.data}"}
  end:
    type: JSONWriterNode
    config: {file_path: out.json}
    depends_on: [score]
connections:
  - start.data -> end.data
"""

EXPECTED = {
    "mermaid": """\
flowchart TD
  start["start<br/><small>JSONReaderNode</small>"]
  backup["backup<br/><small>JSONReaderNode</small>"]
  score["score<br/><small>PythonCodeNode</small>"]
  end_node["end<br/><small>JSONWriterNode</small>"]
  start -->|"data -> data"| end_node
  start -.->|"fallback"| backup
  start -->|"${nodes.start}"| score
  score -.->|"depends_on"| end_node
""",
    "dot": """\
digraph "shapes" {
  rankdir=LR;
  node [shape=box, style=rounded];
  "start" [label="start\\nJSONReaderNode"];
  "backup" [label="backup\\nJSONReaderNode"];
  "score" [label="score\\nPythonCodeNode"];
  "end" [label="end\\nJSONWriterNode"];
  "start" -> "end" [label="data -> data"];
  "start" -> "backup" [label="fallback", style=dashed];
  "start" -> "score" [label="${nodes.start}"];
  "score" -> "end" [label="depends_on", style=dashed];
}
""",
    "ascii": """\
shapes: 4 nodes, 4 edges
stage 1
  start [JSONReaderNode]
stage 2
  score [PythonCodeNode]
    <- start: ${nodes.start}
stage 3
  end [JSONWriterNode]
    <- start: data -> data
    <- score: depends_on
fallbacks (run only in place of a failed node)
  backup [JSONReaderNode]
    <- start: fallback
""",
}


@pytest.mark.parametrize("output_format", sorted(EXPECTED))
def test_graph_formats(output_format: str, tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "wf.yaml", WORKFLOW)

    result = run_cli("graph", "wf.yaml", "--format", output_format, cwd=tmp_path)

    assert (result.returncode, result.stdout, result.stderr) == (0, EXPECTED[output_format], "")


def test_mermaid_is_the_default(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "wf.yaml", WORKFLOW)

    assert run_cli("graph", "wf.yaml", cwd=tmp_path).stdout == EXPECTED["mermaid"]


def test_graph_of_a_single_node(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(
        tmp_path,
        "wf.yaml",
        'name: one\nnodes:\n  only: {type: PythonCodeNode, config: {code: "result = 1"}}\n',
    )

    result = run_cli("graph", "wf.yaml", "-f", "ascii", cwd=tmp_path)

    assert result.stdout == "one: 1 nodes, 0 edges\nstage 1\n  only [PythonCodeNode]\n"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("output_format", ["mermaid", "dot", "ascii"])
def test_graph_of_every_example(example: Path, output_format: str, run_cli: RunCli) -> None:
    result = run_cli("graph", example, "--format", output_format, cwd=example.parent)

    assert (result.returncode, result.stderr) == (0, "")
    first = {"mermaid": "flowchart TD", "dot": "digraph ", "ascii": ""}[output_format]
    assert result.stdout.startswith(first)


def test_invalid_workflow_exits_2_with_the_findings(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "wf.yaml", WORKFLOW.replace("depends_on: [score]", "depends_on: [end]"))

    result = run_cli("graph", "wf.yaml", cwd=tmp_path)

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "wf.yaml:16:18: error KV205: node 'end': depends_on names itself; fix: name another node id in "
        "depends_on\n"
        "error: the workflow is invalid: 1 error(s); fix them and try again\n"
    )


def test_cycle_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "wf.yaml", WORKFLOW.replace('"${nodes.start.data}"', '"${nodes.end.file_path}"'))

    result = run_cli("graph", "wf.yaml", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "wf.yaml:10:3: error KV207: cycle between nodes: score -> end -> score; fix: remove one of the "
        "connections, depends_on entries or ${nodes...} references on this cycle"
    )
    assert "Traceback" not in result.stderr


def test_missing_workflow_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli("graph", "missing.yaml", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "missing.yaml: error KV001: cannot read file: No such file or directory; fix: check the path and its "
        "permissions"
    )


def test_bad_format_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "wf.yaml", WORKFLOW)

    result = run_cli("graph", "wf.yaml", "--format", "png", cwd=tmp_path)

    assert (result.returncode, result.stdout) == (2, "")
    assert "'png' is not one of 'mermaid', 'dot', 'ascii'" in result.stderr
