from __future__ import annotations

import subprocess
import sys
import threading
import time

import psutil
import pytest

from kailash_cli.security.limits import MemoryWatch, format_size, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (0, 0),
        (1024, 1024),
        ("1024", 1024),
        ("10B", 10),
        ("1KB", 1000),
        ("50MB", 50_000_000),
        ("1.5GB", 1_500_000_000),
        ("2TB", 2 * 10**12),
        ("512KiB", 524_288),
        ("1MiB", 1_048_576),
        ("1.5GiB", 1_610_612_736),
        ("1TiB", 2**40),
        (" 50 mb ", 50_000_000),
        ("1k", 1000),
        ("2M", 2_000_000),
        ("256kib", 262_144),
    ],
)
def test_parse_size(text: int | str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["", "MB", "-1MB", "1.2.3MB", "5 PB", "1e6", "ten", "1KIB", True, None, 1.5])
def test_parse_size_refuses(bad: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_size(bad)  # type: ignore[arg-type]
    assert str(info.value) == f"size {bad!r} is not understood; use bytes or a size like 50MB, 512KiB, 1.5GB"


def test_parse_size_refuses_negative_ints() -> None:
    with pytest.raises(ValueError, match=r"^size -5 is negative; give bytes >= 0 or a size like 50MB$"):
        parse_size(-5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (30, 30.0),
        (0.5, 0.5),
        ("30", 30.0),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("250ms", 0.25),
        ("1.5h", 5400.0),
        (" 2 s ", 2.0),
    ],
)
def test_parse_duration(text: float | str, expected: float) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "s", "5d", "-5s", "1 min", True, None])
def test_parse_duration_refuses(bad: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(bad)  # type: ignore[arg-type]
    assert str(info.value) == (
        f"duration {bad!r} is not understood; use seconds or a duration like 250ms, 30s, 5m, 1h"
    )


@pytest.mark.parametrize("bad", [0, -1, "0s", "0ms", float("nan")])
def test_parse_duration_refuses_zero_and_negative(bad: object) -> None:
    with pytest.raises(ValueError, match="must be more than 0 seconds$"):
        parse_duration(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1 kB"),
        (2_100_000, "2.1 MB"),
        (1_500_000_000, "1.5 GB"),
        (3 * 10**15, "3000 TB"),
    ],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


def test_memory_watch_with_a_fake_sampler_calls_back_once() -> None:
    samples = iter([10, 20, 150, 160, 170])
    calls: list[int] = []
    with MemoryWatch(100, interval=0.001, on_exceed=calls.append, sample=lambda: next(samples)) as watch:
        deadline = time.monotonic() + 5
        while not watch.exceeded and time.monotonic() < deadline:
            time.sleep(0.001)
    assert watch.exceeded is True
    assert watch.peak == 150
    assert calls == [150]
    assert watch.message() == "memory limit 100 B exceeded: the run used 150 B"


def test_memory_watch_under_the_limit_stays_quiet_and_stops() -> None:
    calls: list[int] = []
    with MemoryWatch(10**15, interval=0.01, on_exceed=calls.append) as watch:
        time.sleep(0.05)
    assert watch.exceeded is False
    assert watch.peak > 1_000_000  # a real RSS figure was sampled
    assert calls == []
    assert not any(t.name == "kailash-memory-watch" for t in threading.enumerate())


def test_memory_watch_sees_this_process_grow() -> None:
    rss = psutil.Process().memory_info().rss
    fired = threading.Event()
    with MemoryWatch(rss + 40_000_000, interval=0.01, on_exceed=lambda peak: fired.set()) as watch:
        ballast = bytearray(80_000_000)  # touched: bytearray zero-fills
        assert fired.wait(10)
    del ballast
    assert watch.exceeded
    assert watch.peak > rss + 40_000_000


def test_memory_watch_counts_child_processes() -> None:
    rss = psutil.Process().memory_info().rss
    code = "import sys, time; b = bytearray(120_000_000); print('ready', flush=True); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        fired = threading.Event()
        with MemoryWatch(rss + 80_000_000, interval=0.01, on_exceed=lambda peak: fired.set()):
            assert fired.wait(10)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
