"""The local executor: node calls on daemon threads and one event loop, in this process.

Blocking calls go to daemon worker threads, so a call that never returns cannot keep
the process alive after the run ends. ``Thread.start()`` waits until the new thread has
been scheduled; on a busy machine that wait costs a time slice per thread, so starting
50 workers one after another took longer than the 50 ms calls they were started for.
The scheduler therefore hands each ``start()`` to a short-lived helper and goes on:
the workers start side by side. Async calls (HTTP) share one event loop on a background
thread: no thread per request. Both report to one completion queue that the scheduler
reads.
"""

from __future__ import annotations

import _thread
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from kailash_cli.engine.executor import Completion, Completions, NodeCall

if TYPE_CHECKING:
    import asyncio


class Workers:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.completions: queue.SimpleQueue[Completion] = queue.SimpleQueue()
        self._jobs: queue.SimpleQueue[tuple[Any, Callable[[], Any], Completions] | None] = queue.SimpleQueue()
        self._started = 0
        self._idle = 0
        self._running: set[Any] = set()  # tokens of calls on a thread right now
        self._abandoned: set[Any] = set()  # timed-out calls whose threads are still busy
        self._futures: dict[Any, Any] = {}  # async calls, cancelled when abandoned
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._threads: list[threading.Thread] = []

    def submit(self, token: Any, call: Callable[[], Any], completions: Completions | None = None) -> None:
        """Run ``call`` on a worker thread; its outcome (value or exception) is queued on
        ``completions`` (default: this pool's own queue)."""
        with self._lock:
            if self._idle == 0 and self._started - len(self._abandoned) < self.limit:
                thread = threading.Thread(
                    target=self._work, name=f"kailash-worker-{self._started}", daemon=True
                )
                _thread.start_new_thread(self._start, (thread,))  # not waiting for it here
                self._threads.append(thread)
                self._started += 1
            else:
                self._idle -= 1
        self._jobs.put((token, call, self.completions if completions is None else completions))

    def _start(self, thread: threading.Thread) -> None:
        try:
            thread.start()
        except RuntimeError:  # no more threads: this helper serves the queue instead
            self._work()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            token, call, completions = job
            with self._lock:
                self._running.add(token)
            try:
                completions.put((token, True, call()))
            except BaseException as e:  # reported to the scheduler, which decides
                completions.put((token, False, e))
            with self._lock:
                self._running.discard(token)
                self._abandoned.discard(token)
                self._idle += 1

    def abandon(self, token: Any) -> None:
        """The scheduler gave up on a call (timeout): its thread no longer counts against the
        limit, so the next call gets a thread of its own; an async call is cancelled."""
        with self._lock:
            future = self._futures.pop(token, None)
            if token in self._running:
                self._abandoned.add(token)
        if future is not None:
            future.cancel()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            import asyncio  # here: a run without async (HTTP) nodes does not load asyncio, ssl, socket

            self._loop = asyncio.new_event_loop()
            self._loop_thread = threading.Thread(
                target=self._run_loop, args=(self._loop,), name="kailash-loop", daemon=True
            )
            self._loop_thread.start()
        return self._loop

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        try:
            loop.run_forever()
        finally:  # stopped by close(): release its selector and self-pipe (no ResourceWarning)
            loop.close()

    def submit_async(
        self, token: Any, make: Callable[[], Awaitable[Any]], completions: Completions | None = None
    ) -> None:
        """Run the coroutine from ``make()`` on the shared loop; its outcome is queued."""
        queued = self.completions if completions is None else completions

        async def runner() -> None:
            try:
                queued.put((token, True, await make()))
            except BaseException as e:  # reported to the scheduler, which decides
                queued.put((token, False, e))
            finally:
                with self._lock:
                    self._futures.pop(token, None)

        import asyncio  # loaded by self.loop already: a lookup

        future = asyncio.run_coroutine_threadsafe(runner(), self.loop)
        with self._lock:
            if not future.done():
                self._futures[token] = future

    def call_in_loop(self, make: Callable[[], Awaitable[Any]], timeout: float = 5.0) -> Any:
        import asyncio

        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(timeout)  # type: ignore[arg-type]

    def close(self) -> None:
        """Stop the idle threads and the loop; a thread still running a call is left to it."""
        for _ in range(self._started):
            self._jobs.put(None)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        with self._lock:
            busy = bool(self._running)
        if not busy:  # each thread takes its None and ends: wait for that, briefly
            for thread in self._threads:
                if thread.ident is not None:
                    thread.join(timeout=1.0)


class LocalExecutor:
    """The default executor: blocking calls on worker threads, async calls (HTTP) on one
    event loop, sharing one HTTP client that it makes on first use and closes at shutdown."""

    inline = True

    def __init__(self, max_concurrency: int = 16) -> None:
        self.workers = Workers(max_concurrency)
        self._http: Any = None

    def prepare_http(self) -> None:
        """Make the shared HTTP client and start the event loop now, on this thread: the
        engine calls it before a run with async (HTTP) nodes, so no request waits for them."""
        self._http_client()
        _ = self.workers.loop

    def submit(self, token: Any, call: NodeCall, completions: Completions) -> None:
        if call.is_async:
            self._http_client()  # made here, not on the loop, when prepare_http() was not called
            self.workers.submit_async(token, lambda: call.arun(self._http_client), completions)
        else:
            self.workers.submit(token, call.run, completions)

    def cancel(self, token: Any) -> None:
        self.workers.abandon(token)

    def _http_client(self) -> Any:
        if self._http is None:
            from kailash_cli.engine.http_client import make_client  # httpx only when a node needs it

            self._http = make_client(self.workers.limit)
        return self._http

    def shutdown(self) -> None:
        if self._http is not None:
            client, self._http = self._http, None
            with contextlib.suppress(Exception):  # closing a client is best effort at the end of a run
                self.workers.call_in_loop(client.aclose)
        self.workers.close()

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
