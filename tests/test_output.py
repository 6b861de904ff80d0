from __future__ import annotations

import contextvars
import sys
import threading

import pytest

from kailash_cli.report.output import Output, table

NODE: contextvars.ContextVar[str | None] = contextvars.ContextVar("test_node", default=None)


def test_out_and_err_add_one_newline(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output()
    output.out("result")
    output.out("done\n")
    output.err("progress")
    assert capsys.readouterr() == ("result\ndone\n", "progress\n")


def test_prints_during_a_run_go_to_stderr_prefixed(capsys: pytest.CaptureFixture[str]) -> None:
    with Output().node_output(NODE) as real:
        token = NODE.set("load")
        print("reading 3 rows")
        print("two", "words", end="")
        print(" joined")
        NODE.reset(token)
        print("outside any node")
        real.write("a result\n")
    assert capsys.readouterr() == (
        "a result\n",
        "[load] reading 3 rows\n[load] two words joined\noutside any node\n",
    )


def test_partial_lines_are_flushed_at_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    with Output().node_output(NODE):
        NODE.set("a")
        sys.stdout.write("no newline")
    assert capsys.readouterr() == ("", "[a] no newline\n")


def test_lines_of_concurrent_nodes_stay_apart(capsys: pytest.CaptureFixture[str]) -> None:
    def work(name: str) -> None:
        NODE.set(name)
        for i in range(50):
            print(f"line {i}")

    with Output().node_output(NODE):
        threads = [threading.Thread(target=contextvars.copy_context().run, args=(work, n)) for n in "xyz"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    lines = capsys.readouterr().err.splitlines()
    for name in "xyz":
        assert [line for line in lines if line.startswith(f"[{name}] ")] == [
            f"[{name}] line {i}" for i in range(50)
        ]
    assert len(lines) == 150


def test_a_sink_receives_node_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[str | None, str]] = []
    with Output().node_output(NODE, lambda node, line: seen.append((node, line))):
        NODE.set("n1")
        print("hello\nworld")
        sys.stdout.write("tail")
    assert seen == [("n1", "hello"), ("n1", "world"), ("n1", "tail")]
    assert capsys.readouterr() == ("", "")


def test_stdout_is_restored_after_an_error() -> None:
    before = sys.stdout
    with pytest.raises(RuntimeError), Output().node_output(NODE):
        raise RuntimeError("node blew up")
    assert sys.stdout is before


def test_stderr_is_terminal_follows_isatty(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Tty())
    monkeypatch.setenv("TERM", "xterm")
    assert Output().stderr_is_terminal() is True
    monkeypatch.setenv("TERM", "dumb")
    assert Output().stderr_is_terminal() is False
    monkeypatch.setattr(sys, "stderr", open(__file__))  # noqa: SIM115 - a plain file, not a tty
    try:
        monkeypatch.setenv("TERM", "xterm")
        assert Output().stderr_is_terminal() is False
    finally:
        sys.stderr.close()


def test_table_grows_a_column_to_its_longest_value_and_right_aligns_negative_widths() -> None:
    text = table([("ID", -3), ("NAME", 4), ("NOTE", 0)], [["7", "a-long-name", "x"], ["12", "b", ""]])

    assert text.splitlines() == [
        " ID  NAME         NOTE",
        "  7  a-long-name  x",
        " 12  b            ",
    ]


def test_secrets_added_are_redacted_in_every_line(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output()
    output.out("token s3cr3t-value")
    output.add_secrets(["s3cr3t-value"])
    output.out("token s3cr3t-value")
    output.err("error: bad s3cr3t-value")
    assert capsys.readouterr() == ("token s3cr3t-value\ntoken ***\n", "error: bad ***\n")


def test_two_outputs_do_not_share_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    first, second = Output(), Output()
    first.add_secrets(["hunter22"])
    second.out("hunter22")
    assert capsys.readouterr().out == "hunter22\n"


def test_json_events_are_one_object_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    Output(log_format="json").event("finding", "warning", id="KV307")
    record = json.loads(capsys.readouterr().err)
    assert (record["level"], record["event"], record["id"]) == ("warning", "finding", "KV307")


def test_json_logged_run_turns_stderr_lines_into_events(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[str | None, str]] = []
    with Output(log_format="json").node_output(NODE, lambda node, line: seen.append((node, line))):
        NODE.set("n2")
        print("to stdout")
        sys.stderr.write("to stderr\n")
    assert seen == [("n2", "to stdout"), ("n2", "to stderr")]
    assert capsys.readouterr() == ("", "")
