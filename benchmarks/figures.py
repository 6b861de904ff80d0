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


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    """Seconds taken by each of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def cpu_timed(call: Callable[[], object], repeats: int) -> list[float]:
    """CPU seconds (this process, all threads) taken by each of ``repeats`` calls: what a
    shared machine's other work does not inflate."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        call()
        times.append(time.process_time() - start)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"
