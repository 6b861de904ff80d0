"""Fixtures shared by every test file; the helpers themselves live in ``helpers.py``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping

import pytest
from helpers import KAILASH, RunCli, kailash, write_file

__all__ = ["KAILASH", "RunCli", "write_file"]


@pytest.fixture
def run_cli() -> RunCli:
    """Run ``kailash`` in-process: ``run_cli("validate", "wf.yaml", cwd=..., env=..., input=...)``
    -> ``.returncode``, ``.stdout``, ``.stderr``; ``env`` adds to this process's environment."""

    def run(*args: str | os.PathLike[str], env: Mapping[str, str] | None = None,
            **kwargs: object) -> subprocess.CompletedProcess[str]:
        return kailash(*args, extra_env=env, **kwargs)  # type: ignore[arg-type]

    return run
