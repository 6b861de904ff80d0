"""The grace period of a cancelled run, for the node the scheduler runs on its own thread.

A node on a worker thread is simply abandoned when the grace period is over (the
scheduler stops waiting for it). A blocking node run inline on the main thread holds
the scheduler itself, so a watcher thread interrupts it (``KeyboardInterrupt``, as
Ctrl-C does) once the run was cancelled and ``grace`` seconds of the run's clock have
passed while it still runs. Off the main thread nothing can be interrupted: the
scheduler then runs no node inline when a cancel event is given.
"""

from __future__ import annotations

import _thread
import threading
from collections.abc import Callable
from types import TracebackType

from kailash_cli.engine.options import RunOptions

TICK = 0.05  # how often the watcher looks at the clock once the run was cancelled


def on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


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
        self.done.set()
        if self.thread is not None:
            self.thread.join()

    def _watch(self) -> None:
        assert self.cancel is not None
        while not self.cancel.wait(0.2):
            if self.done.is_set():
                return
        began = self.clock()
        while not self.done.wait(TICK):
            if self.clock() - began >= self.grace and self.busy():
                self.fired = True
                _thread.interrupt_main()
                return
