"""The Python API: what the CLI commands and ``serve`` are built on.

``load_workflow`` and ``validate`` read and check files; ``run_workflow`` (in
``pipeline/run.py``) does all that ``kailash run`` does and returns its record. None of
them prints or raises ``SystemExit``; problems a user can act on are ``KailashError``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from kailash_cli.errors import UsageError
from kailash_cli.model.result import Problem
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline.run import plan_workflow, run_workflow

__all__ = ["load_workflow", "plan_workflow", "run_workflow", "validate"]


def load_workflow(path: str | os.PathLike[str]) -> Workflow:
    """The workflow model of a file; ``WorkflowValidationError`` lists every error at once."""
    from kailash_cli.compile.validation import load_workflow as load

    return load(Path(path))[0]


def validate(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Problem]:
    """Every finding in these files (directories are searched, as ``kailash validate`` does).

    A file named ``kailash.yaml``/``kailash.yml`` is checked as a project config, any other
    as a workflow. An empty list means valid. A path that does not exist, or a directory
    with no workflow in it, raises ``UsageError``.
    """
    given = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    return check_files([Path(p) for p in given])[1]


def check_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """The files ``paths`` name (directories searched) and every finding in them."""
    files = _collect(paths)
    return files, [p for f in files for p in _check_file(f)]


def _collect(paths: list[Path]) -> list[Path]:
    """Files as given; directories searched for configs and workflows (``load.discovery``, the
    rule check-deploy uses too), so docker-compose.yml, mkdocs.yml, CI files ... are left
    alone. A directory holding none of them is a usage error: a CI step that matched nothing
    must not pass."""
    from kailash_cli.load.discovery import kailash_files

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = kailash_files(path)
            if not found:
                raise UsageError(f"no workflow or kailash.yaml files under {path}")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return files


def _check_file(path: Path) -> list[Problem]:
    from kailash_cli.compile.validation import check_document
    from kailash_cli.load.config import check_config
    from kailash_cli.load.discovery import is_config_file
    from kailash_cli.load.yaml_io import load

    doc = load(path, display=_display_path(path))
    return check_config(doc) if is_config_file(path) else check_document(doc)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
