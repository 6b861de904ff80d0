"""Runs on threads: at most ``max_concurrency`` at once, each with its cancel event, all of
them drained when the server stops (finished within the grace period, else interrupted)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from kailash_cli.engine.observer import RunInfo, RunObserver
from kailash_cli.model.result import RunResult


class PoolFull(Exception):
    """``max_concurrency`` runs are going on."""


class PoolStopped(Exception):
    """The server is stopping: no new run starts."""


class RunTicket(RunObserver):
    """One run going on: ``first`` is its run id once it started (None if it ended before),
    ``result`` its outcome, ``cancel`` the event that interrupts it."""

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.first: Future[str | None] = Future()
        self.result: Future[RunResult] = Future()
        self.run_id: str | None = None
        self.trace_id: str | None = None  # of the request that started it
        self.workflow: str | None = None

    def run_started(self, run: RunInfo) -> None:
        self.run_id = run.run_id
        if not self.first.done():
            self.first.set_result(run.run_id)


RunCall = Callable[[RunTicket], RunResult]


class RunPool:
    """Threads for runs, bounded; ``stop`` refuses new ones, ``drain`` waits for the rest."""

    def __init__(self, size: int, on_error: Callable[[RunTicket, BaseException], None] | None = None) -> None:
        self.size = size
        self.accepting = True
        self._stopped_at: float | None = None
        self._on_error = on_error
        self._active: set[RunTicket] = set()
        self._changed = threading.Condition()
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="kailash-serve-run")

    def in_progress(self) -> int:
        return len(self._active)

    def submit(self, call: RunCall) -> RunTicket:
        """Start ``call`` on a thread; PoolStopped while stopping, PoolFull when no slot is free."""
        ticket = RunTicket()
        with self._changed:
            if not self.accepting:
                raise PoolStopped
            if len(self._active) >= self.size:
                raise PoolFull
            self._active.add(ticket)
        self._threads.submit(self._run, call, ticket)
        return ticket

    def _run(self, call: RunCall, ticket: RunTicket) -> None:
        result: RunResult | None = None
        error: BaseException | None = None
        try:
            result = call(ticket)
        except BaseException as e:  # the caller's answer, or the log for a run nobody waits for
            error = e
            if self._on_error is not None:
                self._on_error(ticket, e)
        finally:
            # the slot is free before the caller hears the outcome: a client that got its
            # answer and asks again (or reads /metrics) never finds its own run still going on
            with self._changed:
                self._active.discard(ticket)
                self._changed.notify_all()
            if not ticket.first.done():
                ticket.first.set_result(None)
            if error is not None:
                ticket.result.set_exception(error)
            elif result is not None:
                ticket.result.set_result(result)

    def stop(self) -> None:
        """Refuse new runs from now on."""
        with self._changed:
            self.accepting = False
            if self._stopped_at is None:
                self._stopped_at = time.monotonic()

    def interrupt(self) -> int:
        """Set every running run's cancel event; how many there were."""
        with self._changed:
            for ticket in self._active:
                ticket.cancel.set()
            return len(self._active)

    def wait(self, timeout: float) -> bool:
        """Wait until no run goes on, ``timeout`` seconds at most; True when none does."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._active:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def drain(self, grace_period: float, stop_wait: float) -> bool:
        """Stop: runs going on get ``grace_period`` (from the first ``stop``) to finish, then
        are interrupted and get ``stop_wait`` more to be recorded. True when every run ended."""
        self.stop()
        assert self._stopped_at is not None
        left = grace_period - (time.monotonic() - self._stopped_at)
        if not self.wait(max(left, 0.0)):
            self.interrupt()
            if not self.wait(stop_wait):
                return False
        self._threads.shutdown(wait=False)
        return True
