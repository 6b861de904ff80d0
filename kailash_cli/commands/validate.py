"""``kailash validate PATH...``: schema plus semantic checks, every problem at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from kailash_cli.checks.project import Project
from kailash_cli.compile.validation import check_document
from kailash_cli.constants import CONFIG_FILE_NAMES, EXIT_FAILURE, EXIT_OK, WORKFLOW_SUFFIXES
from kailash_cli.errors import UsageError
from kailash_cli.load.config import check_config
from kailash_cli.load.yaml_io import load
from kailash_cli.model.result import Problem, has_errors
from kailash_cli.report.console import err, out
from kailash_cli.report.findings import ReportContext, render, summary
from kailash_cli.report.rules import VALIDATE_RULES

SKIPPED_DIRS = {"node_modules", "venv", "__pycache__", "site-packages", "build", "dist"}


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def collect(paths: list[Path]) -> list[Path]:
    """The files to check: files as given; directories searched for kailash.yaml/kailash.yml
    and for workflows (YAML files that are a mapping with ``nodes:``, the rule check-deploy's
    KD705 uses), so docker-compose.yml, mkdocs.yml, CI files ... are left alone. A directory
    holding none of them is a usage error: a CI step that matched nothing must not pass."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            project = Project(root=path, environ={})
            found = sorted(p for p in _yaml_files(path) if _is_kailash_file(p, project))
            if not found:
                raise UsageError(f"no workflow or kailash.yaml files under {path}")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return files


def _is_kailash_file(path: Path, project: Project) -> bool:
    if path.name in CONFIG_FILE_NAMES:
        return True
    if project.text(path) is None:  # too large, unreadable or not UTF-8: look at the bytes
        try:
            return re.search(rb"^nodes:", path.read_bytes(), re.MULTILINE) is not None
        except OSError:
            return False
    return project.is_workflow(path)


def _yaml_files(folder: Path) -> Iterator[Path]:
    for entry in folder.iterdir():
        if entry.name.startswith(".") or entry.name in SKIPPED_DIRS:
            continue
        if entry.is_dir():
            yield from _yaml_files(entry)
        elif entry.suffix in WORKFLOW_SUFFIXES:
            yield entry


def check_file(path: Path) -> list[Problem]:
    doc = load(path, display=display_path(path))
    if path.name in CONFIG_FILE_NAMES:
        return check_config(doc)
    return check_document(doc)


def validate(paths: list[Path], *, output_format: str = "text") -> int:
    files = collect(paths)
    problems = [p for f in files for p in check_file(f)]
    rendered = render(problems, output_format, ReportContext(rules=VALIDATE_RULES))
    if rendered:
        out(rendered.rstrip("\n"))
    err(summary(problems, len(files)))
    return EXIT_FAILURE if has_errors(problems) else EXIT_OK
