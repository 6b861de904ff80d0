from __future__ import annotations

import contextvars
import sys
import threading

import pytest

from kailash_cli.report.console import err, node_output_to_stderr, out, stderr_is_terminal

NODE: contextvars.ContextVar[str | None] = contextvars.ContextVar("test_node", default=None)


def test_out_and_err_add_one_newline(capsys: pytest.CaptureFixture[str]) -> None:
    out("result")
    out("done\n")
    err("progress")
    assert capsys.readouterr() == ("result\ndone\n", "progress\n")


def test_prints_during_a_run_go_to_stderr_prefixed(capsys: pytest.CaptureFixture[str]) -> None:
    with node_output_to_stderr(NODE) as real:
        token = NODE.set("load")
        print("reading 3 rows")
        print("two", "words", end="")
        print(" joined")
        NODE.reset(token)
        print("outside any node")
        real.write("a result\n")
    assert capsys.readouterr() == (
        "a result\n",
        "[load] reading 3 rows\n[load] two words joined\noutside any node\n")


def test_partial_lines_are_flushed_at_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    with node_output_to_stderr(NODE):
        NODE.set("a")
        sys.stdout.write("no newline")
    assert capsys.readouterr() == ("", "[a] no newline\n")


def test_lines_of_concurrent_nodes_stay_apart(capsys: pytest.CaptureFixture[str]) -> None:
    def work(name: str) -> None:
        NODE.set(name)
        for i in range(50):
            print(f"line {i}")

    with node_output_to_stderr(NODE):
        threads = [threading.Thread(target=contextvars.copy_context().run, args=(work, n)) for n in "xyz"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    lines = capsys.readouterr().err.splitlines()
    for name in "xyz":
        assert [line for line in lines if line.startswith(f"[{name}] ")] == [
            f"[{name}] line {i}" for i in range(50)]
    assert len(lines) == 150


def test_a_sink_receives_node_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[str | None, str]] = []
    with node_output_to_stderr(NODE, lambda node, line: seen.append((node, line))):
        NODE.set("n1")
        print("hello\nworld")
        sys.stdout.write("tail")
    assert seen == [("n1", "hello"), ("n1", "world"), ("n1", "tail")]
    assert capsys.readouterr() == ("", "")


def test_stdout_is_restored_after_an_error() -> None:
    before = sys.stdout
    with pytest.raises(RuntimeError), node_output_to_stderr(NODE):
        raise RuntimeError("node blew up")
    assert sys.stdout is before


def test_stderr_is_terminal_follows_isatty(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Tty())
    monkeypatch.setenv("TERM", "xterm")
    assert stderr_is_terminal() is True
    monkeypatch.setenv("TERM", "dumb")
    assert stderr_is_terminal() is False
    monkeypatch.setattr(sys, "stderr", open(__file__))  # noqa: SIM115 - a plain file, not a tty
    try:
        monkeypatch.setenv("TERM", "xterm")
        assert stderr_is_terminal() is False
    finally:
        sys.stderr.close()


def test_table_grows_a_column_to_its_longest_value_and_right_aligns_negative_widths() -> None:
    from kailash_cli.report.console import table

    text = table([("ID", -3), ("NAME", 4), ("NOTE", 0)], [["7", "a-long-name", "x"], ["12", "b", ""]])

    assert text.splitlines() == [
        " ID  NAME         NOTE",
        "  7  a-long-name  x",
        " 12  b            ",
    ]
