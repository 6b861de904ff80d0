from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from kailash_cli.engine.local import Workers


@pytest.fixture
def workers():
    pool = Workers(limit=2)
    yield pool
    pool.close()


def test_blocking_call_outcome_is_queued(workers: Workers) -> None:
    workers.submit("t1", lambda: 41 + 1)
    assert workers.completions.get(timeout=10) == ("t1", True, 42)


def test_exception_is_queued_not_raised(workers: Workers) -> None:
    error = ValueError("boom")

    def fail() -> None:
        raise error

    workers.submit("t2", fail)
    assert workers.completions.get(timeout=10) == ("t2", False, error)


def test_calls_run_on_daemon_threads_up_to_the_limit(workers: Workers) -> None:
    release = threading.Event()
    seen: list[tuple[str, bool]] = []

    def block(tag: str) -> str:
        seen.append((threading.current_thread().name, threading.current_thread().daemon))
        release.wait(10)
        return tag

    for tag in ("a", "b", "c"):
        workers.submit(tag, lambda tag=tag: block(tag))
    deadline = time.monotonic() + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    assert len(seen) == 2  # the third waits for a free worker
    assert all(daemon for _, daemon in seen)
    assert all(name != threading.main_thread().name for name, _ in seen)
    release.set()
    results = {workers.completions.get(timeout=10)[0] for _ in range(3)}
    assert results == {"a", "b", "c"}
    assert len(seen) == 3


def _wait_until_idle(workers: Workers, seconds: float = 10) -> None:
    """Wait for the worker to count itself idle (a thread switch: no fixed sleep is enough under load)."""
    give_up = time.monotonic() + seconds
    while workers._idle == 0:
        assert time.monotonic() < give_up, "the worker never became idle"
        time.sleep(0.001)


def test_idle_workers_are_reused(workers: Workers) -> None:
    names = []
    for i in range(4):
        workers.submit(i, lambda: threading.get_ident())
        names.append(workers.completions.get(timeout=10)[2])
        _wait_until_idle(workers)  # the worker marks itself idle after queueing its result
    assert len(set(names)) == 1


def test_async_calls_share_one_loop_thread(workers: Workers) -> None:
    async def where(tag: str) -> tuple[str, str]:
        await asyncio.sleep(0.01)
        return tag, threading.current_thread().name

    workers.submit_async("x", lambda: where("x"))
    workers.submit_async("y", lambda: where("y"))
    got = sorted(workers.completions.get(timeout=10) for _ in range(2))
    assert got == [("x", True, ("x", "kailash-loop")), ("y", True, ("y", "kailash-loop"))]


def test_async_exception_is_queued(workers: Workers) -> None:
    error = ConnectionError("down")

    async def fail() -> None:
        raise error

    workers.submit_async("z", fail)
    assert workers.completions.get(timeout=10) == ("z", False, error)


def test_call_in_loop_returns_the_value(workers: Workers) -> None:
    async def value() -> int:
        return 7

    assert workers.call_in_loop(value) == 7


def test_close_stops_and_closes_the_loop() -> None:
    pool = Workers(limit=1)
    loop = pool.loop
    assert pool.loop is loop
    pool.close()
    assert pool._loop_thread is not None
    pool._loop_thread.join(10)
    assert loop.is_closed()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to list threads")
def test_close_ends_idle_worker_threads() -> None:
    pool = Workers(limit=2)
    pool.submit("a", threading.get_native_id)
    tid = pool.completions.get(timeout=10)[2]
    assert Path(f"/proc/self/task/{tid}").exists()
    pool.close()
    deadline = time.monotonic() + 10
    while Path(f"/proc/self/task/{tid}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not Path(f"/proc/self/task/{tid}").exists()
