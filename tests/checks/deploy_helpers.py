"""Helpers for the check-deploy tests: run the checks in-process over a fixture project."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from kailash_cli.checks.project import open_project
from kailash_cli.checks.runner import run_checks, select_ids
from kailash_cli.model.result import Problem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deploy"
Finding = tuple[str, str, int | None]


def check(
    directory: Path,
    *,
    select: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    env_files: Iterable[str] = (),
) -> list[Problem]:
    """Every finding over ``directory`` (paths shown relative to it), of the selected checks."""
    old = Path.cwd()
    os.chdir(directory)
    try:
        project = open_project(Path("."), None, [Path(f) for f in env_files], environ or {})
        return run_checks(project, select_ids(select, "--select") or select_ids(["KD"], "--select"))
    finally:
        os.chdir(old)


def located(problems: list[Problem]) -> list[Finding]:
    return [(p.id, p.file or "", p.line) for p in problems]


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name.replace("/", "-")
    shutil.copytree(FIXTURES / name, target)
    return target


CONFIG = "security: {allowed_directories: [./data], enable_audit_logging: true}\n"


def make_project(root: Path, files: dict[str, str], config: str = CONFIG) -> Path:
    """A project in ``root``: a minimal secure config and ``files`` (path -> text)."""
    for name, text in {"kailash.yaml": config, **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root
