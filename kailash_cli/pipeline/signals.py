"""SIGTERM as a graceful stop: the first one sets a cancel event, a second ends at once.

Containers are stopped with SIGTERM (then SIGKILL after their own grace period). While
``StopOnSigterm`` is active, the first SIGTERM sets ``cancel`` (``run_workflow`` then
starts no node and gives running ones ``runtime.shutdown_grace`` seconds); a second
SIGTERM raises ``KeyboardInterrupt``, as Ctrl-C does (Ctrl-C keeps Python's own handler):
the run stops at once and is still recorded. Signal handlers belong to the main thread:
elsewhere this does nothing (``serve`` stops its runs through their cancel events).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class StopOnSigterm:
    """While the block runs, SIGTERM sets ``cancel``; ``received`` says whether one came."""

    def __init__(
        self, cancel: threading.Event | None = None, on_first: Callable[[], None] | None = None
    ) -> None:
        self.cancel = cancel if cancel is not None else threading.Event()
        self.on_first = on_first
        self.received = False
        self._previous: Any = None
        self._previous_int: Any = None
        self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received:
            raise KeyboardInterrupt  # the second: stop at once
        self.received = True
        self.cancel.set()
        if self.on_first is not None:  # on a thread: a handler must not write to a stream the
            # main thread may be in the middle of writing (a reentrant write raises)
            threading.Thread(target=self.on_first, name="kailash-sigterm", daemon=True).start()

    def __enter__(self) -> StopOnSigterm:
        if _on_main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._handle)
            # a shell starts background jobs with SIGINT ignored: the run's grace period ends
            # by interrupting the main thread with SIGINT, so it is Python's while the run goes on
            self._previous_int = signal.getsignal(signal.SIGINT)
            if self._previous_int == signal.SIG_IGN:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            self._installed = True
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)
            signal.signal(signal.SIGINT, self._previous_int)
            self._installed = False
