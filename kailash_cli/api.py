"""The Python API: what the CLI commands and ``serve`` are built on.

``load_workflow`` and ``validate`` read and check files; ``run_workflow`` (in
``pipeline/run.py``) does all that ``kailash run`` does and returns its record. None of
them prints or raises ``SystemExit``; problems a user can act on are ``KailashError``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

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
    from kailash_cli.compile.check import check_files

    given = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    return check_files([Path(p) for p in given])[1]
