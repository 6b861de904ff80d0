"""Fixtures shared by every test file; the helpers themselves live in ``helpers.py``."""

from __future__ import annotations

import pytest
from helpers import KAILASH, RunCli, kailash, write_file

__all__ = ["KAILASH", "RunCli", "write_file"]  # imported from here by some test files


@pytest.fixture
def run_cli() -> RunCli:
    """``helpers.kailash``: the CLI in-process, ``run_cli("validate", "wf.yaml", cwd=..., extra_env=...,
    input=...)`` -> ``.returncode``, ``.stdout``, ``.stderr``."""
    return kailash
