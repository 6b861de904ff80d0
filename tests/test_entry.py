"""The installed ``kailash`` command, as users and CI run it: one subprocess per test (all e2e).

Everything else drives the CLI in-process (``helpers.kailash``); these prove that the console
script, its exit codes, stdin and the output streams hold through a real process.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, kailash_e2e, write

from kailash_cli import __version__

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "deploy"


def test_version_answers_through_the_console_script_and_python_m() -> None:
    script = kailash_e2e("--version")
    module = subprocess.run(
        [sys.executable, "-m", "kailash_cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    for proc in (script, module):
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"kailash {__version__}\n", "")


def test_no_command_prints_usage_on_stderr_and_exits_2() -> None:
    proc = kailash_e2e()

    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("Usage: kailash [OPTIONS] COMMAND [ARGS]...\n")


def test_an_unknown_command_exits_2() -> None:
    proc = kailash_e2e("bogus")

    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "error: kailash: no command 'bogus'; see kailash -h\n"


def test_validate_the_examples_exits_0_and_a_broken_file_exits_1(tmp_path: Path) -> None:
    examples = kailash_e2e("validate", REPO / "workflows")
    write(tmp_path / "bad.yaml", "name: bad\nnodes:\n  a: {type: PythonCodeNod}\n")
    bad = kailash_e2e("validate", "bad.yaml", cwd=tmp_path)

    count = len(list((REPO / "workflows").rglob("*.y*ml")))
    assert (examples.returncode, examples.stdout, examples.stderr) == (
        0,
        "",
        f"{count} file(s) checked, no problems\n",
    )
    assert (bad.returncode, bad.stdout, bad.stderr) == (
        1,
        "bad.yaml:3:13: error KV202: node 'a': unknown node type 'PythonCodeNod' (did you mean "
        "'PythonCodeNode'?); fix: run `kailash nodes` to list the node types\n",
        "1 error in 1 file(s) checked\n",
    )


def test_check_deploy_of_a_clean_and_a_broken_project() -> None:
    env = {"DATABASE_URL": "postgresql://db.example.com/app?sslmode=verify-full", "GITHUB_ACTIONS": ""}
    clean = kailash_e2e("check-deploy", cwd=FIXTURES / "clean", extra_env=env)
    bad = kailash_e2e(
        "check-deploy", FIXTURES / "imports" / "bad", "--select", "KD1", "--format", "json", extra_env=env
    )

    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "0 errors\n0 warnings\n0 info\n")
    assert bad.returncode == 1
    assert bad.stdout.startswith("[") and '"id": "KD1' in bad.stdout


def test_graph_nodes_and_schema_print_on_stdout(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", "name: hello\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'r = 1'}}\n")
    graph = kailash_e2e("graph", "wf.yaml", "--format", "ascii", cwd=tmp_path)
    nodes = kailash_e2e("nodes", "CSVReaderNode")
    schema = kailash_e2e("schema", "config")

    assert (graph.returncode, graph.stdout, graph.stderr) == (
        0,
        "hello: 1 nodes, 0 edges\nstage 1\n  a [PythonCodeNode]\n",
        "",
    )
    assert (nodes.returncode, nodes.stdout.splitlines()[0], nodes.stderr) == (
        0,
        "CSVReaderNode: Read a CSV file into a list of row mappings (lists when has_header is false).",
        "",
    )
    assert (schema.returncode, schema.stderr) == (0, "")
    assert schema.stdout.startswith("{")


def test_a_secret_piped_on_stdin_is_stored_and_never_shown(tmp_path: Path) -> None:
    env = {
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path / "home"),
    }
    value = "pIpEd-s3cret-value"

    stored = kailash_e2e("secrets", "set", "token", input=value + "\n", cwd=tmp_path, extra_env=env)
    listed = kailash_e2e("secrets", "list", cwd=tmp_path, extra_env=env)

    assert (stored.returncode, stored.stdout, stored.stderr) == (
        0,
        "stored secret 'token' in the keyring (service kailash)\n",
        "",
    )
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "token\n", "")
    assert value not in stored.stdout + stored.stderr + listed.stdout + listed.stderr


def test_runs_and_dlq_after_a_real_run(tmp_path: Path) -> None:
    copy = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", copy, ignore=shutil.ignore_patterns("out", "__pycache__"))
    ran = kailash_e2e("run", copy / "hello.yaml", "-o", "json", cwd=tmp_path)
    runs = kailash_e2e("runs", cwd=tmp_path)
    letters = kailash_e2e("dlq", "list", cwd=tmp_path)

    assert ran.returncode == 0, ran.stderr
    assert runs.returncode == 0 and runs.stdout.splitlines()[1].split()[1:3] == ["hello", "succeeded"]
    assert (letters.returncode, letters.stdout, letters.stderr) == (0, "the dead-letter queue is empty\n", "")
