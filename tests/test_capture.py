"""Node output is taken off stdout while runs go on and given to its own run."""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kailash_cli.engine.context import CURRENT_NODE, CURRENT_RUN
from kailash_cli.report.capture import Route, original_streams, routed


@contextmanager
def inside(run: str | None, node: str | None) -> Iterator[None]:
    """As node code of ``run`` runs (NodeCall.run sets these)."""
    tokens = CURRENT_RUN.set(run), CURRENT_NODE.set(node)
    try:
        yield
    finally:
        CURRENT_NODE.reset(tokens[1])
        CURRENT_RUN.reset(tokens[0])


def collecting(seen: list[tuple[str | None, str]]) -> Route:
    return Route(lambda node, line: seen.append((node, line)), lambda text: text.replace("s3cr3t", "***"))


def test_prints_of_a_run_go_to_its_sink_line_by_line(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[str | None, str]] = []
    with routed("r1", collecting(seen)):
        with inside("r1", "load"):
            print("reading 3 rows")
            print("two", "words", end="")
            print(" joined")
            sys.stdout.write("no newline")
        print("outside any node")  # the only run's: no node
    assert seen == [
        ("load", "reading 3 rows"),
        ("load", "two words joined"),
        (None, "outside any node"),
        ("load", "no newline"),
    ]
    assert capsys.readouterr() == ("", "")


def test_stderr_lines_are_redacted_with_the_runs_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    with routed("r1", collecting([])), inside("r1", "a"):
        sys.stderr.write("token s3cr3t\n")
    assert capsys.readouterr() == ("", "token ***\n")


def test_json_runs_get_stderr_lines_as_events_too(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[str | None, str]] = []
    route = collecting(seen)
    with routed("r1", Route(route.sink, route.redact, stderr_to_sink=True)), inside("r1", "n2"):
        print("to stdout")
        sys.stderr.write("to stderr\n")
    assert seen == [("n2", "to stdout"), ("n2", "to stderr")]
    assert capsys.readouterr() == ("", "")


def test_two_runs_at_once_keep_their_lines_apart(capsys: pytest.CaptureFixture[str]) -> None:
    first: list[tuple[str | None, str]] = []
    second: list[tuple[str | None, str]] = []

    def work(run: str) -> None:
        with inside(run, f"{run}-node"):
            for i in range(50):
                print(f"line {i}")

    with routed("a", collecting(first)), routed("b", collecting(second)):
        threads = [threading.Thread(target=contextvars.copy_context().run, args=(work, r)) for r in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print("no run here: s3cr3t")  # two runs going on, neither known: stderr, redacted
    assert first == [("a-node", f"line {i}") for i in range(50)]
    assert second == [("b-node", f"line {i}") for i in range(50)]
    assert capsys.readouterr() == ("", "no run here: ***\n")


def test_streams_come_back_when_the_last_run_ends_even_after_an_error() -> None:
    before = sys.stdout, sys.stderr
    with pytest.raises(RuntimeError), routed("r1", collecting([])):
        assert original_streams() == before
        assert sys.stdout is not before[0]
        raise RuntimeError("node blew up")
    assert (sys.stdout, sys.stderr) == before
    assert original_streams() == before


def test_overlapping_runs_that_end_out_of_order_restore_the_streams() -> None:
    before = sys.stdout, sys.stderr
    a, b = routed("a", collecting([])), routed("b", collecting([]))
    a.__enter__()
    b.__enter__()
    a.__exit__(None, None, None)  # the first to start ends first
    assert sys.stdout is not before[0]  # b is still going on
    b.__exit__(None, None, None)
    assert (sys.stdout, sys.stderr) == before
