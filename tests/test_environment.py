"""Typed env (load/environment.py): the mapping form, coerced and checked before the run,
every problem at once; ${env.X} typed in nodes and usable in runtime fields."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import kailash, write

from kailash_cli.compile.validation import check_document
from kailash_cli.errors import UsageError
from kailash_cli.load.environment import resolve_runtime, typed_env
from kailash_cli.load.yaml_io import load_text
from kailash_cli.model.workflow import Workflow

TYPED = """
name: typed
env:
  KX_WORKERS: {type: integer, minimum: 1, default: 4}
  KX_RATIO: {type: number, default: 0.5}
  KX_DRY: {type: boolean, default: false}
  KX_MODE: {type: string, enum: [fast, safe], default: safe}
  KX_DSN: {type: string}
runtime: {max_concurrency: "${env.KX_WORKERS}", timeout: "${KX_TIMEOUT}"}
nodes:
  show:
    type: PythonCodeNode
    config:
      code: "result = [workers, ratio, dry, mode, dsn]"
      workers: "${env.KX_WORKERS}"
      ratio: "${env.KX_RATIO}"
      dry: "${env.KX_DRY}"
      mode: "${env.KX_MODE}"
      dsn: "${env.KX_DSN}"
"""


def workflow(text: str = TYPED) -> Workflow:
    doc = load_text(text, "wf.yaml")
    assert [p for p in check_document(doc) if p.severity == "error"] == []
    return Workflow.from_dict(doc.data)


def test_values_are_coerced_and_defaults_fill_the_unset() -> None:
    wf = workflow()
    assert typed_env(wf, {"KX_DSN": "pg://x", "KX_WORKERS": "8", "KX_DRY": "yes"}) == {
        "KX_WORKERS": 8,
        "KX_RATIO": 0.5,
        "KX_DRY": True,
        "KX_MODE": "safe",
        "KX_DSN": "pg://x",
    }


def test_every_problem_at_once() -> None:
    wf = workflow()
    with pytest.raises(UsageError) as info:
        typed_env(wf, {"KX_WORKERS": "0", "KX_RATIO": "lots", "KX_MODE": "quick"})
    assert str(info.value).splitlines() == [
        "missing environment variable(s): KX_DSN; export them before the run (the workflow needs them)",
        "environment variable KX_WORKERS: 0 is less than the minimum of 1",
        "environment variable KX_RATIO: expected a number, got 'lots'",
        "environment variable KX_MODE: 'quick' is not one of ['fast', 'safe']",
    ]


def test_required_with_a_default_must_still_be_set() -> None:
    wf = workflow(
        TYPED.replace("{type: number, default: 0.5}", "{type: number, default: 0.5, required: true}")
    )
    with pytest.raises(UsageError, match="missing environment variable\\(s\\): KX_RATIO, KX_DSN;"):
        typed_env(wf, {})


def test_runtime_fields_take_env_values() -> None:
    wf = resolve_runtime(workflow(), {"KX_DSN": "x", "KX_WORKERS": "3", "KX_TIMEOUT": "2.5"})
    assert wf.runtime == {"max_concurrency": 3, "timeout": 2.5}
    plain = workflow(TYPED.replace('"${env.KX_WORKERS}", timeout: "${KX_TIMEOUT}"', "2"))
    assert resolve_runtime(plain, {}) is plain


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"KX_TIMEOUT": "0"}, "runtime.timeout: ${KX_TIMEOUT} gave '0'; expected a number > 0"),
        ({"KX_TIMEOUT": "nan"}, "runtime.timeout: ${KX_TIMEOUT} gave 'nan'; expected a number > 0"),
        ({}, "runtime.timeout: ${KX_TIMEOUT}: environment variable KX_TIMEOUT is not set"),
    ],
)
def test_bad_runtime_values_are_usage_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError) as info:
        resolve_runtime(workflow(), {"KX_DSN": "x", **environ})
    assert str(info.value) == message


def test_worker_count_must_be_a_whole_number() -> None:
    text = TYPED.replace("KX_WORKERS: {type: integer, minimum: 1, default: 4}", "KX_WORKERS: {type: number}")
    with pytest.raises(UsageError) as info:
        resolve_runtime(workflow(text), {"KX_DSN": "x", "KX_WORKERS": "2.5", "KX_TIMEOUT": "1"})
    assert str(info.value) == "runtime.max_concurrency: ${env.KX_WORKERS} gave 2.5; expected an integer >= 1"


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("KX_")}


def test_run_sees_typed_values(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", TYPED)
    env = {**_clean_env(), "KX_DSN": "pg://x", "KX_TIMEOUT": "30", "KX_RATIO": "2"}
    proc = kailash("run", "wf.yaml", "--output", "json", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outputs"]["show"]["result"] == [4, 2, False, "safe", "pg://x"]


def test_run_refuses_bad_env_with_every_problem_and_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", TYPED.replace("runtime:", "#"))
    proc = kailash(
        "run", "wf.yaml", cwd=tmp_path, env={**_clean_env(), "KX_WORKERS": "many", "KX_DRY": "perhaps"}
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines() == [
        "error: missing environment variable(s): KX_DSN; export them before the run "
        "(the workflow needs them)",
        "error: environment variable KX_WORKERS: expected an integer, got 'many'",
        "error: environment variable KX_DRY: expected true or false, got 'perhaps'",
    ]


def test_validate_env_declarations_and_runtime_expressions() -> None:
    text = """\
name: wf
env:
  KX_N: {type: integer, default: many}
runtime: {max_concurrency: "${params.n}"}
params: {n: {type: integer, default: 1}}
nodes:
  a: {type: PythonCodeNode, config: {code: "result = n", n: "${env.KX_N}"}}
"""
    problems = check_document(load_text(text, "wf.yaml"))
    assert [f"{p.line}:{p.column}: {p.id}: {p.message}" for p in problems] == [
        "3:34: KV401: environment variable 'KX_N': default must be an integer, got string",
        "4:28: KV305: ${params.n}: a runtime field is set before the run starts, from the environment only",
    ]


def test_dry_run_shows_typed_values(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", TYPED)
    env = {**_clean_env(), "KX_DSN": "pg://x", "KX_TIMEOUT": "30"}
    proc = kailash("run", "wf.yaml", "--dry-run", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "    workers = 4" in lines
    assert "    dry = false" in lines


def test_a_bare_name_reads_the_typed_value_and_its_default(tmp_path: Path) -> None:
    write(
        tmp_path / "te.yaml",
        """\
        name: te
        env: {RATIO: {type: number, default: 0.5}}
        runtime: {timeout: "${RATIO}"}
        nodes: {a: {type: PythonCodeNode, config: {code: "result = r", r: "${RATIO}"}}}
        """,
    )
    unset = kailash(
        "run",
        "te.yaml",
        "-o",
        "json",
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "RATIO"},
    )
    assert unset.returncode == 0, unset.stderr
    assert json.loads(unset.stdout)["outputs"]["a"]["result"] == 0.5
    given = kailash("run", "te.yaml", "-o", "json", cwd=tmp_path, extra_env={"RATIO": "2"})
    assert json.loads(given.stdout)["outputs"]["a"]["result"] == 2  # coerced, as ${env.RATIO}
