"""Node output is taken off stdout while runs go on and given to its own run."""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kailash_cli.engine.context import CURRENT_NODE, CURRENT_RUN
from kailash_cli.report.capture import CAPTURE, Route, linger, original_streams, release, routed, serving
from tests.helpers import kailash_e2e, write


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


def test_a_flush_writes_out_only_the_callers_own_half_line() -> None:
    """print(flush=True) in one node must not cut the line another node is half way through."""
    seen: list[tuple[str | None, str]] = []
    with routed("r1", collecting(seen)):
        with inside("r1", "a"):
            sys.stdout.write("started")  # print() writes the text, then the newline
        with inside("r1", "b"):
            print("other", flush=True)
        with inside("r1", "a"):
            sys.stdout.write("\n")
    assert seen == [("b", "other"), ("a", "started")]


def test_a_newline_after_a_flushed_half_line_adds_no_empty_line() -> None:
    seen: list[tuple[str | None, str]] = []
    with routed("r1", collecting(seen)), inside("r1", "a"):
        sys.stdout.write("progress")
        sys.stdout.flush()
        sys.stdout.write(" done\nnext\n")
        sys.stdout.write("\n")
    assert seen == [("a", "progress"), ("a", " done"), ("a", "next"), ("a", "")]


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


LATE = """\
name: late
secrets: {k: {env: SEC_KEY}}
nodes:
  spawn:
    type: PythonCodeNode
    config:
      key: "${secrets.k}"
      code: |
        import logging, threading, time
        def late(key):
            time.sleep(0.5)
            print("late print", key)
            logging.warning("late log %s", key)
        threading.Thread(target=late, args=(key,)).start()
        result = 1
"""
SECRET = "sk-late-0123456789"


@pytest.mark.e2e
def test_what_a_node_thread_prints_after_the_run_is_redacted_too(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", LATE, dedent=False)
    proc = kailash_e2e("run", "wf.yaml", "-q", cwd=tmp_path, extra_env={"SEC_KEY": SECRET})

    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert "late print ***" in proc.stderr.splitlines()
    assert "late log ***" in proc.stderr


def remembering(seen: list[tuple[str | None, str]], secret: str) -> Route:
    return Route(
        lambda node, line: seen.append((node, line)),
        lambda text: text.replace(secret, "***"),
        secrets=lambda: [secret],
    )


def in_a_thread(work: Callable[[], object]) -> None:
    """``work`` on a thread of its own, as node code starts one: no run known there."""
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


def test_a_stray_line_goes_to_the_stray_route_with_every_secret_ever_seen_redacted() -> None:
    first: list[tuple[str | None, str]] = []
    going: list[tuple[str | None, str]] = []
    strays: list[tuple[str | None, str]] = []
    with routed("gone", remembering(first, "old-secret-1")):
        pass
    stray = collecting(strays)
    logged = Route(
        stray.sink, stray.redact, log=lambda node, level, text: bool(strays.append((level, text))) or True
    )
    with serving(logged), routed("going", remembering(going, "new-secret-2")):
        with inside("going", "n"):
            print("mine")
        in_a_thread(lambda: print("late old-secret-1 new-secret-2 s3cr3t"))
        in_a_thread(lambda: logging.getLogger("x").warning("log old-secret-1"))
    assert going == [("n", "mine")]  # never the stray line, though it is the only run
    assert strays == [(None, "late *** *** ***"), ("warning", "log ***")]


def test_a_server_labels_the_stderr_lines_of_its_runs(capsys: pytest.CaptureFixture[str]) -> None:
    label = lambda node, line: f"<{node}> {line!r}"  # noqa: E731
    with serving(collecting([]), label), routed("r", collecting([])), inside("r", "n"):
        sys.stderr.write("forged\nline s3cr3t\n")
    assert capsys.readouterr().err == "<n> 'forged'\n<n> 'line ***'\n"


def test_lingering_keeps_redacting_what_threads_print_once_the_runs_are_over(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    before = sys.stdout, sys.stderr
    linger()
    try:
        with routed("r", remembering([], "sk-linger-77")):
            pass
        assert sys.stdout is not before[0]  # still taken
        print("main thread sk-linger-77")  # the program's own: stdout still
        in_a_thread(lambda: print("late", "sk-linger-77"))
        in_a_thread(lambda: logging.getLogger("y").error("late log %s", "sk-linger-77"))
        sys.stderr.write("unfinished sk-linger-77")
    finally:
        release()
    assert (sys.stdout, sys.stderr) == before
    out, err = capsys.readouterr()
    assert out == "main thread ***\n"
    assert err.splitlines()[:1] + err.splitlines()[-1:] == ["late ***", "unfinished ***"]
    assert "sk-linger-77" not in err
    assert [r.getMessage() for r in caplog.records] == ["late log ***"]  # the program's own handler


def test_lingering_masks_what_threads_print_late_with_the_masked_values_of_the_commands_runs() -> None:
    def masking(text: str) -> str:
        return text.replace("123-45-6789", "*******6789")

    masked = Route(lambda node, line: None, lambda text: text, masked=masking)
    with routed("api", masked):  # no console script: nothing kept once the run ends
        pass
    assert CAPTURE.masked == []
    late: list[tuple[str | None, str]] = []
    linger()
    try:
        with serving(collecting(late)), routed("served", masked):  # a server's runs: not kept either
            pass
        assert CAPTURE.masked == []
        with routed("r", masked):
            pass
        in_a_thread(lambda: print("late 123-45-6789"))
    finally:
        release()
    assert late == [(None, "late *******6789")]
    assert CAPTURE.masked == []


def test_a_servers_stray_route_outlives_it_in_the_console_script() -> None:
    strays: list[tuple[str | None, str]] = []
    before = sys.stdout, sys.stderr
    linger()
    try:
        with serving(collecting(strays)):
            pass
        in_a_thread(lambda: print("after the server s3cr3t"))  # still its format (JSON logs)
    finally:
        release()
    assert strays == [(None, "after the server ***")]
    assert (sys.stdout, sys.stderr) == before
