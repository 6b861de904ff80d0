"""This repository as a pre-commit hook repository, run by the real ``pre-commit``.

pre-commit installs a hook repository from a commit, so the test commits a snapshot of the
working tree (tracked and new files, as they are now) and points a project's
``.pre-commit-config.yaml`` at it. Installing the hook environment takes PyPI and ~30 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import write_file

REPO = Path(__file__).resolve().parents[1]
CLEAN_PROJECT = REPO / "tests" / "fixtures" / "deploy" / "clean"
ENV = {"DATABASE_URL": "postgresql://db.example.com/app?sslmode=verify-full", "GITHUB_ACTIONS": ""}


def git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=kailash", "-c", "user.email=kailash@example.com", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def snapshot(target: Path) -> str:
    """The working tree as a one-commit repository at ``target``; its commit id."""
    files = git(REPO, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "snapshot")
    return git(target, "rev-parse", "HEAD")


def pre_commit(project: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ENV, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_pre_commit_runs_both_hooks_from_this_repository(tmp_path: Path) -> None:
    hooks = tmp_path / "hooks"
    rev = snapshot(hooks)
    project = tmp_path / "project"
    shutil.copytree(CLEAN_PROJECT, project)
    write_file(project, "docker-compose.yml", "services:\n  web: {image: nginx}\n")
    write_file(project, ".github/workflows/ci.yml", "on: push\njobs: {}\n")
    write_file(
        project,
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n"
        "      - id: kailash-validate\n      - id: kailash-check-deploy\n",
    )
    git(project, "init", "-q")
    git(project, "add", "-A")

    passed = pre_commit(project, tmp_path / "home")
    write_file(project, "workflows/broken.yaml", "name: broken\nnodes:\n  a: {type: PythonCodeNod}\n")
    git(project, "add", "-A")
    failed = pre_commit(project, tmp_path / "home")

    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "kailash validate" in passed.stdout and "kailash check-deploy" in passed.stdout
    assert "Failed" not in passed.stdout
    assert failed.returncode == 1
    assert (
        "workflows/broken.yaml:3:13: error KV202: node 'a': unknown node type 'PythonCodeNod' "
        "(did you mean 'PythonCodeNode'?)" in failed.stdout
    )
    assert "KD705" in failed.stdout  # check-deploy also refuses a workflow that does not validate
