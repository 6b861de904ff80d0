"""The public surface is pinned: a change to it is a decision, made here and in the README."""

from __future__ import annotations

import subprocess
import sys

import kailash_cli

PUBLIC = [
    "__version__",
    "load_workflow",
    "validate",
    "run_workflow",
    "plan_workflow",
    "Workflow",
    "RunResult",
    "NodeResult",
    "Finding",
    "Config",
    "Output",
    "RunObserver",
    "RunInfo",
    "Executor",
    "NodeCall",
    "LocalExecutor",
    "KailashError",
    "UsageError",
    "WorkflowValidationError",
    "ExpressionError",
    "FileAccessError",
    "PathDeniedError",
    "AccessDeniedError",
    "StoreError",
    "RunStopped",
    "RunInterrupted",
]


def test_all_is_pinned() -> None:
    assert kailash_cli.__all__ == PUBLIC


def test_every_public_name_resolves_and_says_where_it_lives() -> None:
    for name in PUBLIC[1:]:
        value = getattr(kailash_cli, name)
        assert value.__module__.startswith("kailash_cli."), name
    assert sorted(dir(kailash_cli)) == sorted(PUBLIC)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        kailash_cli.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as e:
        assert str(e) == "module 'kailash_cli' has no attribute 'no_such_name'"
    else:
        raise AssertionError("no AttributeError")


def test_importing_the_package_loads_none_of_the_engine() -> None:
    code = "import sys, kailash_cli; print(sorted(m for m in sys.modules if m.startswith('kailash_cli')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['kailash_cli']"
