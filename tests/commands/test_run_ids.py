"""Run ids by unique prefix (``runs show``, ``run --resume``), as git and docker take them;
and the shell completion that offers them, with files and node types."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import KAILASH, RunCli, write

from kailash_cli.commands.completion import MAX_OFFERED, node_types, run_ids, yaml_files
from kailash_cli.pipeline.store import Store

IDS = ("abc123000001", "abc456000002", "def789000003")
FAILING = """\
name: flaky
nodes:
  boom:
    type: PythonCodeNode
    config: {code: "raise RuntimeError('down')"}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A store with three finished runs of ``flaky`` whose ids share prefixes."""
    store = Store.open(tmp_path / ".kailash/kailash.db")
    for i, run_id in enumerate(IDS):
        store.start_run(run_id, "flaky", "flaky.yaml", f"2026-11-30T10:00:0{i}+00:00", {}, {}, None, None)
        store.finish_run(run_id, "failed", f"2026-11-30T10:00:0{i}+00:00", 1.0, {}, "boom failed")
    store.close()
    write(tmp_path / "flaky.yaml", FAILING)
    return tmp_path


@pytest.mark.parametrize("given", ["def", "d", "def789000003"])
def test_show_takes_a_unique_prefix(project: Path, given: str, run_cli: RunCli) -> None:
    result = run_cli("runs", "show", given, cwd=project)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("run def789000003: flaky failed")


def test_an_ambiguous_prefix_names_the_candidates(project: Path, run_cli: RunCli) -> None:
    result = run_cli("runs", "show", "abc", cwd=project)

    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: run id 'abc' is ambiguous: runs abc123000001, abc456000002 start with it; give more of it\n",
    )


def test_an_unknown_prefix_is_an_unknown_run(project: Path, run_cli: RunCli) -> None:
    result = run_cli("runs", "show", "ff", cwd=project)

    assert (result.returncode, result.stderr) == (
        2,
        "error: unknown run id 'ff'; `kailash runs list` shows the runs\n",
    )


def test_resume_takes_a_unique_prefix(project: Path, run_cli: RunCli) -> None:
    result = run_cli("run", "flaky.yaml", "--resume", "abc4", "-o", "json", cwd=project)

    assert result.returncode == 1  # it fails again, as a resume of the whole id
    store = Store.open(project / ".kailash/kailash.db")
    newest = store.runs(limit=1)[0]
    store.close()
    assert newest["resumed_from"] == "abc456000002"


def test_resume_refuses_an_ambiguous_prefix(project: Path, run_cli: RunCli) -> None:
    result = run_cli("run", "flaky.yaml", "--resume", "abc", cwd=project)

    assert result.returncode == 2
    assert result.stderr.startswith("error: run id 'abc' is ambiguous")


def test_completion_offers_run_ids_with_their_workflow(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)  # the store of ./kailash.yaml, or .kailash/ here

    assert run_ids(None, "abc") == [
        ("abc456000002", "flaky failed 2026-11-30T10:00:01+00:00"),
        ("abc123000001", "flaky failed 2026-11-30T10:00:00+00:00"),
    ]


def test_completion_of_run_ids_without_a_store_or_with_a_bad_config(tmp_path: Path) -> None:
    class Ctx:
        params = {"config": tmp_path / "missing.yaml"}

    assert run_ids(Ctx(), "") == []


def test_completion_offers_node_types_with_their_summary() -> None:
    offered = node_types("csv")

    assert [name for name, _ in offered] == ["CSVReaderNode", "CSVWriterNode"]
    assert offered[0][1].startswith("Read a CSV file")


def test_completion_offers_yaml_files_and_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("wf.yaml", "other.yml", "notes.txt", ".hidden.yaml", "sub/deep.yaml"):
        write(tmp_path / name, "x: 1\n")
    monkeypatch.chdir(tmp_path)

    assert yaml_files("") == ["-", "other.yml", "sub/", "wf.yaml"]
    assert yaml_files("w") == ["wf.yaml"]
    assert yaml_files(".h") == [".hidden.yaml"]
    assert yaml_files("sub/") == ["sub/deep.yaml"]
    assert yaml_files("nowhere/") == []
    for i in range(MAX_OFFERED + 5):
        (tmp_path / f"many{i}.yaml").touch()
    assert len(yaml_files("many")) == MAX_OFFERED


def test_bash_completion_end_to_end(project: Path, run_cli: RunCli) -> None:
    result = run_cli(
        "runs",
        cwd=project,
        extra_env={
            "_KAILASH_COMPLETE": "complete_bash",
            "COMP_WORDS": "kailash runs show de",
            "COMP_CWORD": "3",
        },
    )

    assert (result.returncode, result.stdout) == (0, "def789000003\n")


@pytest.mark.e2e
def test_installed_cli_completes_in_a_real_bash(project: Path) -> None:
    """The script `kailash --show-completion bash` prints, sourced in bash, as a user installs it."""
    script = (
        'eval "$(kailash --show-completion bash)"\n'
        'for words in "kailash nodes CSVR" "kailash va" "kailash runs show de" "kailash run fl"; do\n'
        '  read -ra COMP_WORDS <<< "$words"; COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n'
        '  _kailash_completion kailash; echo "${COMPREPLY[*]}"\n'
        "done\n"
    )
    env = {**os.environ, "PATH": f"{Path(KAILASH).parent}{os.pathsep}{os.environ['PATH']}"}

    proc = subprocess.run(
        ["bash", "-c", script], cwd=project, env=env, capture_output=True, text=True, check=False
    )

    assert (proc.returncode, proc.stdout.splitlines()) == (
        0,
        ["CSVReaderNode", "validate", "def789000003", "flaky.yaml"],
    ), proc.stderr


def test_many_candidates_are_cut_short(tmp_path: Path) -> None:
    from kailash_cli.commands.runs import full_run_id
    from kailash_cli.errors import UsageError

    store = Store.open(tmp_path / "runs.db")
    for i in range(7):
        store.start_run(f"aa{i:010d}", "wf", "wf.yaml", "2026-11-30T10:00:00+00:00", {}, {}, None, None)
    try:
        with pytest.raises(UsageError) as caught:
            full_run_id(store, "aa")
        assert full_run_id(store, "aa0000000003") == "aa0000000003"
    finally:
        store.close()

    assert str(caught.value) == (
        "run id 'aa' is ambiguous: runs aa0000000000, aa0000000001, aa0000000002, aa0000000003, "
        "aa0000000004, ... start with it; give more of it"
    )


def test_fail_level_values_complete(tmp_path: Path) -> None:
    from helpers import kailash

    env = {
        "_KAILASH_COMPLETE": "complete_bash",
        "COMP_WORDS": "kailash check-deploy --fail-level w",
        "COMP_CWORD": "3",
    }
    assert kailash("check-deploy", cwd=tmp_path, extra_env=env).stdout.split() == ["warning"]
