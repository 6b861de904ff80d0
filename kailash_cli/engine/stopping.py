"""Stopping a run: no node starts once ``options.cancel`` is set; running ones get a grace period.

``Stopping`` is the scheduler's side of it. A node on a worker thread is abandoned when
the grace period is over (the scheduler stops waiting for it; it is recorded failed). A
blocking node run inline on the main thread holds the scheduler itself, so a watcher
thread (``GraceWatch``) interrupts it (``KeyboardInterrupt``, as Ctrl-C does) once the
run was cancelled and ``grace`` seconds of the run's clock have passed while it still
runs. Off the main thread nothing can be interrupted: the scheduler then runs no node
inline when a cancel event is given.
"""

from __future__ import annotations

import _thread
import signal
import threading
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from kailash_cli.compile.compiler import CompiledGraph
from kailash_cli.engine.executor import Executor
from kailash_cli.engine.options import RunOptions
from kailash_cli.engine.settle import Attempts
from kailash_cli.model.result import FAILED, NodeResult
from kailash_cli.model.stream import abort_streams

TICK = 0.05  # how often the watcher looks at the clock once the run was cancelled


def on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def interrupt_main_thread() -> None:
    """``KeyboardInterrupt`` in the main thread, even in a blocking call (a real SIGINT to that
    thread ends a ``time.sleep``; ``_thread.interrupt_main`` waits for the call to return)."""
    if hasattr(signal, "pthread_kill") and callable(signal.getsignal(signal.SIGINT)):
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
    else:  # pragma: no cover - no pthread_kill (Windows), or SIGINT not handled by Python
        _thread.interrupt_main()


class GraceWatch:
    """While the block runs: once ``options.cancel`` is set and ``options.grace`` seconds
    of ``options.clock`` have passed, interrupt the main thread if ``busy()`` (a node is
    running inline)."""

    def __init__(self, options: RunOptions, busy: Callable[[], bool]) -> None:
        self.cancel = options.cancel
        self.grace = options.grace
        self.clock = options.clock
        self.busy = busy
        self.done = threading.Event()
        self.thread: threading.Thread | None = None
        self.fired = False  # it interrupted the node: the KeyboardInterrupt is the grace's end

    def __enter__(self) -> GraceWatch:
        if self.cancel is not None and on_main_thread():
            self.thread = threading.Thread(target=self._watch, name="kailash-grace", daemon=True)
            self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.done.set()  # the watcher sees it within its tick and ends; the run does not wait

    def _watch(self) -> None:
        assert self.cancel is not None
        while not self.cancel.wait(0.2):
            if self.done.is_set():
                return
        began = self.clock()
        while not self.done.wait(TICK):
            if self.clock() - began >= self.grace and self.busy():
                self.fired = True
                interrupt_main_thread()
                return


class Stopping:
    """The scheduler's side of a stop (``_Run`` in ``scheduler.py`` mixes it in): once
    ``options.cancel`` is set nothing new starts; what runs gets the grace period."""

    options: RunOptions
    compiled: CompiledGraph
    executor: Executor
    results: dict[str, NodeResult]
    ready: deque[str]
    calls: deque[Attempts]
    timers: list[tuple[float, int, Attempts]]
    pending: dict[str, int]
    in_flight: dict[tuple[str, int], tuple[Attempts, float, float | None]]
    clock: Callable[[], float]
    cancelled_at: float | None
    inline_call: Attempts | None
    abandoned: bool = False

    if TYPE_CHECKING:  # Settlement's

        def _record(self, node_id: str, result: NodeResult) -> None: ...

        def _elapsed(self, call: Attempts) -> float: ...
        def _drop_groups(self) -> list[str]: ...

    def _cancelled(self) -> bool:
        """Whether the run was cancelled; the first time: what has not started never will."""
        cancel = self.options.cancel
        if cancel is None or not cancel.is_set():
            return False
        if self.cancelled_at is None:
            self.cancelled_at = self.clock()
            for waiting in (self.ready, self.calls, self.timers, self.pending):
                waiting.clear()
            self._drop_groups()
        return True

    def _grace_over(self) -> bool:
        return self.cancelled_at is not None and self.clock() - self.cancelled_at >= self.options.grace

    def _abandon(self, at_once: bool = False) -> None:
        """Nodes still running are given up: failed in the result; after the grace period they
        are recorded (told to the observers) as such, after Ctrl-C they are not."""
        why = f"interrupted: still running {self.options.grace:g}s after the run was stopped; abandoned"
        stuck = [c for c, _, _ in self.in_flight.values()] + [c for c in (self.inline_call,) if c]
        for token in self.in_flight:
            self.executor.cancel(token)
        self.in_flight.clear()
        self.inline_call = None
        self.abandoned = self.abandoned or bool(stuck)
        for call in stuck:
            abort_streams(call.params, "the run was stopped")
            result = NodeResult(FAILED, call.attempt, self._elapsed(call), "interrupted" if at_once else why)
            if at_once:  # Ctrl-C: in the result, not in the store
                self.results[call.node.spec.id] = result
            else:
                self._record(call.node.spec.id, result)

    def _interrupted(self) -> bool:
        """Stopped before its end: a node abandoned or never reached (else it just finished)."""
        if self.cancelled_at is None:
            return False
        nodes = self.compiled.nodes
        return self.abandoned or any(n not in self.results for n in nodes if not nodes[n].fallback_only)
