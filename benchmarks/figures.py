"""What every benchmark module reports: a figure next to its baseline, timed the same way."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    target: str
    measured: str
    baseline: str
    ratio: str
    limit: str
    passed: bool


def timed(
    call: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Seconds taken by each of ``repeats`` calls (wall time, or what ``clock`` counts)."""
    times = []
    for _ in range(repeats):
        start = clock()
        call()
        times.append(clock() - start)
    return times


def cpu_timed(call: Callable[[], object], repeats: int) -> list[float]:
    """CPU seconds (this process, all threads) taken by each of ``repeats`` calls: what a
    shared machine's other work does not inflate."""
    return timed(call, repeats, time.process_time)


def plain_chain(step: Callable[..., int], count: int) -> Callable[[], None]:
    """The baseline of a chain of ``count`` nodes: the same function called in a loop."""

    def loop() -> None:
        x = 0
        for _ in range(count):
            x = step(x=x)

    return loop


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"
