"""kailash: production workflows and their policy as YAML, checked in CI, run in-process.

The public API (``__all__``) is imported on first use, so ``import kailash_cli`` and
``kailash --version`` stay fast::

    from kailash_cli import run_workflow
    result = run_workflow("workflows/hello.yaml", params={"who": "Ada"})
    result.status, result.outputs
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing would slow down `kailash --version`

__version__ = "0.1.0"

_PUBLIC = {
    "load_workflow": "kailash_cli.api",
    "validate": "kailash_cli.api",
    "run_workflow": "kailash_cli.api",
    "plan_workflow": "kailash_cli.api",
    "Workflow": "kailash_cli.model.workflow",
    "RunResult": "kailash_cli.model.result",
    "NodeResult": "kailash_cli.model.result",
    "Finding": "kailash_cli.model.result",
    "Config": "kailash_cli.load.config",
    "Output": "kailash_cli.report.output",
    "RunObserver": "kailash_cli.engine.observer",
    "RunInfo": "kailash_cli.engine.observer",
    "Executor": "kailash_cli.engine.executor",
    "NodeCall": "kailash_cli.engine.executor",
    "LocalExecutor": "kailash_cli.engine.local",
    "KailashError": "kailash_cli.errors",
    "UsageError": "kailash_cli.errors",
    "WorkflowValidationError": "kailash_cli.errors",
    "ExpressionError": "kailash_cli.errors",
    "FileAccessError": "kailash_cli.errors",
    "PathDeniedError": "kailash_cli.errors",
    "AccessDeniedError": "kailash_cli.errors",
    "StoreError": "kailash_cli.errors",
    "RunStopped": "kailash_cli.errors",
    "RunInterrupted": "kailash_cli.errors",
}

__all__ = [  # pinned by tests/test_exported_members.py
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

if TYPE_CHECKING:
    from typing import Any

    from kailash_cli.api import load_workflow, plan_workflow, run_workflow, validate
    from kailash_cli.engine.executor import Executor, NodeCall
    from kailash_cli.engine.local import LocalExecutor
    from kailash_cli.engine.observer import RunInfo, RunObserver
    from kailash_cli.errors import (
        AccessDeniedError,
        ExpressionError,
        FileAccessError,
        KailashError,
        PathDeniedError,
        RunInterrupted,
        RunStopped,
        StoreError,
        UsageError,
        WorkflowValidationError,
    )
    from kailash_cli.load.config import Config
    from kailash_cli.model.result import Finding, NodeResult, RunResult
    from kailash_cli.model.workflow import Workflow
    from kailash_cli.report.output import Output


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'kailash_cli' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
