"""What one run of the engine is given."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kailash_cli.engine.executor import Executor
from kailash_cli.engine.observer import RunObserver
from kailash_cli.model.resilience import BreakerBook
from kailash_cli.model.result import NodeResult
from kailash_cli.nodes.files import FileAccess

INTERRUPTED = "interrupted"  # the status of a run that was stopped (cancel, Ctrl-C, SIGTERM)


@dataclass(frozen=True)
class RunOptions:
    """What one run of the engine is given; the caller owns the executor and the files policy."""

    executor: Executor
    files: FileAccess  # the path guard of the security config, when there is one
    params: dict[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, Any] | None = None  # ${env.X}: the typed values of the workflow's env: mapping
    secrets: dict[str, Any] = field(default_factory=dict)
    max_concurrency: int = 16
    timeout: float | None = None
    node_timeout: float | None = None  # default per-node timeout (security.execution_timeout)
    run_id: str | None = None
    observer: RunObserver = field(default_factory=RunObserver)
    prepared: dict[str, Any] = field(default_factory=dict)
    restored: dict[str, NodeResult] = field(default_factory=dict)  # resume: not run again
    breakers: BreakerBook = field(default_factory=BreakerBook)
    stop: Callable[[], str | None] | None = None  # a reason to stop starting nodes (memory limit)
    clock: Callable[[], float] = time.perf_counter  # monotonic seconds: timeouts, delays, durations
    sleep: Callable[[float], None] = time.sleep  # waiting for a timer (a retry's delay, a rate limit)
    cancel: threading.Event | None = None  # once set: no node starts; running ones get ``grace``
    grace: float = 10.0  # seconds nodes still running when ``cancel`` is set may take to finish
    databases: Mapping[str, Any] = field(default_factory=dict)  # name -> db.settings.DatabaseSpec
    # masking: told each call's inputs before it is made and each node's outputs when returned
    seen: Callable[[Any], None] | None = None
    hide: Callable[[str], str] | None = None  # what an alert's ${failure.error} must not quote
