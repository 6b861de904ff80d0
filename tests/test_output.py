from __future__ import annotations

import sys

import pytest

from kailash_cli.report.output import Output, table


def test_out_and_err_add_one_newline(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output()
    output.out("result")
    output.out("done\n")
    output.err("progress")
    assert capsys.readouterr() == ("result\ndone\n", "progress\n")


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
