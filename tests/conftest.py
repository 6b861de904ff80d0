"""Fixtures shared by every test file; the helpers themselves live in ``helpers.py``."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest
from helpers import KAILASH, RunCli, kailash, write_file

__all__ = ["KAILASH", "RunCli", "write_file"]  # imported from here by some test files


def _one_settrace_at_a_time() -> None:
    """CPython 3.11 and older: a thread that starts while another thread is inside
    ``sys.settrace`` dies before its target runs ("Cannot install a trace function while
    another trace function is being installed", gh-98257) once a tracer's
    ``threading.settrace`` hook (coverage, in ``make test``) and any audit hook (the
    command guard's) are in place. Users never have the tracer; the suite serialises the
    calls so the race cannot fail a test at random. Nothing else changes."""
    if sys.version_info >= (3, 12):
        return
    settrace, lock = sys.settrace, threading.RLock()

    def serialised(function: Any) -> None:
        with lock:
            settrace(function)

    sys.settrace = serialised


_one_settrace_at_a_time()


@pytest.fixture
def run_cli() -> RunCli:
    """``helpers.kailash``: the CLI in-process, ``run_cli("validate", "wf.yaml", cwd=..., extra_env=...,
    input=...)`` -> ``.returncode``, ``.stdout``, ``.stderr``."""
    return kailash
