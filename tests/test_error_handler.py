from __future__ import annotations

import pytest

from kailash_cli.error_handler import handle
from kailash_cli.errors import (
    AccessDeniedError,
    KailashError,
    RunInterrupted,
    StoreError,
    UsageError,
    WorkflowValidationError,
)
from kailash_cli.model.result import Problem
from kailash_cli.report.output import Output

PLAIN = Output()


def raises(error: BaseException):
    def call() -> int:
        raise error

    return call


def test_return_value_is_the_exit_code() -> None:
    assert handle(lambda: 0, PLAIN) == 0
    assert handle(lambda: 1, PLAIN) == 1


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (KailashError("node failed"), 1),
        (AccessDeniedError("node failed"), 1),
        (UsageError("node failed"), 2),
        (StoreError("node failed"), 2),
    ],
)
def test_kailash_errors_are_one_line_and_their_exit_code(
    error: KailashError, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert handle(raises(error), PLAIN) == code
    assert capsys.readouterr() == ("", "error: node failed\n")


def test_multi_line_message_is_one_error_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert handle(raises(UsageError("-p a: expected KEY=VALUE\nmissing required param 'b'")), PLAIN) == 2
    assert capsys.readouterr().err == "error: -p a: expected KEY=VALUE\nerror: missing required param 'b'\n"


def test_error_without_a_message_names_its_type(capsys: pytest.CaptureFixture[str]) -> None:
    handle(raises(UsageError()), PLAIN)
    assert capsys.readouterr().err == "error: UsageError\n"


def test_validation_error_lists_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    problems = (
        Problem("KV202", "error", "unknown type", "wf.yaml", 3, 11, "see `kailash nodes`"),
        Problem("KV307", "warning", "undeclared env", "wf.yaml", 5, 9),
    )

    assert handle(raises(WorkflowValidationError(problems)), PLAIN) == 2
    assert capsys.readouterr().err == (
        "wf.yaml:3:11: error KV202: unknown type; fix: see `kailash nodes`\n"
        "wf.yaml:5:9: warning KV307: undeclared env\n"
        "error: the workflow is invalid: 1 error(s); fix them and try again\n"
    )


def test_interrupted_run_says_so_and_exits_130(capsys: pytest.CaptureFixture[str]) -> None:
    assert handle(raises(RunInterrupted("run 1 was interrupted")), PLAIN) == 130
    assert capsys.readouterr().err == "interrupted: run 1 was interrupted\n"


def test_json_logs_make_errors_and_findings_events(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    problems = (Problem("KV202", "error", "unknown type", "wf.yaml", 3, 11),)
    assert handle(raises(WorkflowValidationError(problems)), Output(log_format="json")) == 2
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(r["event"], r["message"]) for r in records] == [
        ("finding", "unknown type"),
        ("error", "the workflow is invalid: 1 error(s); fix them and try again"),
    ]
    assert records[0]["id"] == "KV202"


def test_the_secrets_of_the_invocation_are_redacted_in_errors(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output()
    output.add_secrets(["tok-123456"])
    assert handle(raises(UsageError("bad header tok-123456")), output) == 2
    assert capsys.readouterr().err == "error: bad header ***\n"


def test_verbose_adds_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert handle(raises(UsageError("bad")), Output(verbose=True)) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert err.endswith("kailash_cli.errors.UsageError: bad\nerror: bad\n")


def test_ctrl_c_exits_130(capsys: pytest.CaptureFixture[str]) -> None:
    assert handle(raises(KeyboardInterrupt()), PLAIN) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_unexpected_error_is_a_bug_report_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert handle(raises(ZeroDivisionError("division by zero")), PLAIN) == 3
    assert capsys.readouterr().err == (
        "error: unexpected ZeroDivisionError: division by zero\n"
        "this is a bug in kailash, please report it (run with -v for the traceback)\n"
    )


def test_unexpected_error_with_verbose_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert handle(raises(AssertionError("cannot happen")), Output(verbose=True)) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert "error: unexpected AssertionError: cannot happen\n" in err
