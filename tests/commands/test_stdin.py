"""``-`` is standard input wherever a file is read: ``validate -``, ``run -``, ``--params-file -``."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from helpers import REPO, RunCli, kailash, kailash_e2e, write, write_file

from kailash_cli.load.yaml_io import load

HELLO = (REPO / "workflows/hello.yaml").read_text(encoding="utf-8")
BAD = "name: bad\nnodes:\n  a: {type: PythonCodeNod}\n"


def test_validate_reads_stdin(run_cli: RunCli) -> None:
    result = run_cli("validate", "-", input=HELLO)

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "1 file(s) checked, no problems\n")


def test_validate_names_stdin_in_findings(run_cli: RunCli) -> None:
    result = run_cli("validate", "-", "-f", "json", input=BAD)

    assert result.returncode == 1
    assert [(f["file"], f["line"], f["id"]) for f in json.loads(result.stdout)] == [("<stdin>", 3, "KV202")]


def test_validate_stdin_beside_files(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "bad.yaml", BAD)

    result = run_cli("validate", "bad.yaml", "-", cwd=tmp_path, input=HELLO)

    assert (result.returncode, result.stderr) == (1, "1 error in 2 file(s) checked\n")


def test_stdin_is_read_once(run_cli: RunCli) -> None:
    result = run_cli("validate", "-", "-", input=HELLO)

    assert (result.returncode, result.stderr) == (
        2,
        "error: - (standard input) given more than once; it can be read only once\n",
    )


def test_run_reads_the_workflow_from_stdin(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli("run", "-", "-p", "who=Ada", cwd=tmp_path, input=HELLO)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"greeting": "Hello, Ada!"}


def test_params_file_from_stdin(tmp_path: Path, run_cli: RunCli) -> None:
    workflow = write_file(tmp_path, "hello.yaml", HELLO)

    result = run_cli("run", workflow, "--params-file", "-", input='{"who": "Grace"}')

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"greeting": "Hello, Grace!"}


def test_params_file_errors_name_stdin(tmp_path: Path, run_cli: RunCli) -> None:
    workflow = write_file(tmp_path, "hello.yaml", HELLO)

    result = run_cli("run", workflow, "--params-file", "-", input="who: [\n")

    assert result.returncode == 2
    assert result.stderr.startswith("error: <stdin>:2:1: YAML syntax error")


def test_workflow_and_params_cannot_both_be_stdin(run_cli: RunCli) -> None:
    result = run_cli("run", "-", "--params-file", "-", input=HELLO)

    assert (result.returncode, result.stderr) == (
        2,
        "error: the workflow and --params-file both read - (standard input); give one a file\n",
    )


@pytest.mark.e2e
def test_installed_cli_reads_stdin(tmp_path: Path) -> None:
    result = kailash_e2e("validate", "-", input=BAD, cwd=tmp_path)

    assert (result.returncode, result.stdout) == (
        1,
        "<stdin>:3:13: error KV202: node 'a': unknown node type 'PythonCodeNod' (did you mean "
        "'PythonCodeNode'?); fix: run `kailash nodes` to list the node types\n",
    )


class _Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        (_Terminal(io.BytesIO(b"")), "standard input is a terminal, not a file"),
        (None, "there is no standard input"),
    ],
)
def test_a_terminal_or_no_stdin_is_refused_not_waited_on(
    stdin: object, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", stdin)

    doc = load(Path("-"))

    assert [(p.file, p.message, p.fix) for p in doc.problems] == [
        ("<stdin>", f"cannot read file: {reason}", "pipe a file in (- < wf.yaml)")
    ]


def test_config_from_standard_input(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml", "name: c\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    done = kailash("run", "wf.yaml", "-c", "-", "-q", input="runtime: {max_concurrency: 2}\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    bad = kailash("run", "wf.yaml", "-c", "-", input="bogus: 1\n", cwd=tmp_path)
    assert bad.returncode == 2 and "<stdin>:1:1: error KV102" in bad.stderr
    twice = kailash("run", "-", "-c", "-", input="name: x\n", cwd=tmp_path)
    assert (twice.returncode, twice.stderr) == (
        2,
        "error: the workflow and -c both read - (standard input); give one a file\n",
    )
