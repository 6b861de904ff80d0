"""Sizes (``50MB``), durations (``30s``) and a watch on this process's memory."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from types import TracebackType

_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]i?[bB]|[bB]|[kKmMgGtT])?\s*$")
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*$")
_SIZE_FACTORS = {"": 1, "B": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_BINARY_FACTORS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_SECONDS = {"": 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "h": 3600.0}


def parse_size(value: int | str) -> int:
    """Bytes from an int or a text like ``50MB`` (decimal), ``512KiB`` (binary), ``1.5GB``.

    ``K``/``M``/``G``/``T`` alone are decimal, like ``KB``. Case does not matter except
    for the ``i`` of binary units.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"size {value} is negative; give bytes >= 0 or a size like 50MB")
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"size {value!r} is not understood; use bytes or a size like 50MB, 512KiB, 1.5GB")
    number, unit = float(match[1]), (match[2] or "").upper()
    factor = _BINARY_FACTORS[unit[0]] if "I" in unit else _SIZE_FACTORS[unit[:1]]
    return round(number * factor)


def parse_duration(value: float | str) -> float:
    """Seconds from a number or a text like ``250ms``, ``30s``, ``5m``, ``1h``; must be > 0."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(value) if isinstance(value, str) else None
        if match is None:
            raise ValueError(
                f"duration {value!r} is not understood; use seconds or a duration like 250ms, 30s, 5m, 1h"
            )
        seconds = float(match[1]) * _SECONDS[match[2] or ""]
    if not seconds > 0:  # also refuses NaN
        raise ValueError(f"duration {value!r} must be more than 0 seconds")
    return seconds


def format_size(size: int) -> str:
    """``2.1 MB`` (decimal units, one decimal at most)."""
    amount, unit = float(size), "B"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if amount < 1000 or unit == "TB":
            break
        amount /= 1000
    text = f"{amount:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def _rss_of_tree() -> int:
    """RSS of this process plus its children, recursively (children may vanish meanwhile)."""
    import psutil

    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        try:
            total += child.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return total


class MemoryWatch:
    """A daemon thread sampling the RSS of this process and its children every ``interval`` s.

    When a sample passes ``limit_bytes``, ``exceeded`` becomes True, ``peak`` holds the
    figure and ``on_exceed(peak)`` is called once (from the watch thread), then the watch
    stops. Use as a context manager, or call ``start()`` / ``stop()``. A memory spike
    shorter than ``interval`` can go unseen: this is a watch, not a hard limit.
    """

    def __init__(
        self,
        limit_bytes: int,
        interval: float = 0.05,
        on_exceed: Callable[[int], None] | None = None,
        sample: Callable[[], int] = _rss_of_tree,
    ) -> None:
        self.limit_bytes = limit_bytes
        self.interval = interval
        self.on_exceed = on_exceed
        self.exceeded = False
        self.peak = 0
        self._sample = sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="kailash-memory-watch", daemon=True)

    def message(self) -> str:
        return f"memory limit {format_size(self.limit_bytes)} exceeded: the run used {format_size(self.peak)}"

    def start(self) -> MemoryWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _watch(self) -> None:
        while True:
            used = self._sample()
            self.peak = max(self.peak, used)
            if used > self.limit_bytes:
                self.exceeded = True
                if self.on_exceed is not None:
                    self.on_exceed(used)
                return
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> MemoryWatch:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
