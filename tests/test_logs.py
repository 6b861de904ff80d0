"""Logs: ``--log-format``, ``-v``/``-q`` on every command, levels, fields, redaction."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from helpers import kailash, write

from kailash_cli.model.result import Problem
from kailash_cli.report.logs import global_options_first, log_format_of, trace_id
from kailash_cli.report.output import Output


def events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


# -- the options ----------------------------------------------------------------------------


def test_the_option_wins_then_the_environment_then_text() -> None:
    assert log_format_of("text", {"KAILASH_LOG_FORMAT": "json"}) == "text"
    assert log_format_of(None, {"KAILASH_LOG_FORMAT": " JSON "}) == "json"
    assert log_format_of(None, {"KAILASH_LOG_FORMAT": ""}) == "text"
    assert log_format_of(None, {}) == "text"
    with pytest.raises(ValueError, match=r"^KAILASH_LOG_FORMAT=xml: not a log format; use text or json"):
        log_format_of(None, {"KAILASH_LOG_FORMAT": "xml"})


def test_trace_id_from_the_environment() -> None:
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert trace_id({"TRACEPARENT": parent}) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id({"TRACEPARENT": parent, "KAILASH_TRACE_ID": "mine"}) == "mine"
    assert trace_id({"TRACEPARENT": "garbage"}) is None
    assert trace_id({}) is None


@pytest.mark.parametrize(
    ("args", "moved"),
    [
        (["run", "wf.yaml", "-q"], ["-q", "run", "wf.yaml"]),
        (["run", "wf.yaml", "--log-format", "json", "-v"], ["--log-format", "json", "-v", "run", "wf.yaml"]),
        (["runs", "list", "--log-format=json"], ["--log-format=json", "runs", "list"]),
        (["run", "wf.yaml", "--", "-q"], ["run", "wf.yaml", "--", "-q"]),
        (["-q", "validate", "x"], ["-q", "validate", "x"]),
        (["-c", "k.yaml", "run", "wf.yaml", "-q"], ["-q", "run", "wf.yaml", "-c", "k.yaml"]),
        (["--config=k.yaml", "runs", "show", "ab"], ["runs", "show", "ab", "--config=k.yaml"]),
        (
            ["-v", "--config", "k.yaml", "run", "wf.yaml", "--", "x"],
            ["-v", "run", "wf.yaml", "--config", "k.yaml", "--", "x"],
        ),
        (["-c", "k.yaml"], ["-c", "k.yaml"]),
        (["-c"], ["-c"]),
        (["-c", "k.yaml", "--help"], ["-c", "k.yaml", "--help"]),
    ],
)
def test_global_options_move_before_the_command(args: list[str], moved: list[str]) -> None:
    assert global_options_first(args) == moved


def test_an_unknown_log_format_in_the_environment_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = kailash("nodes", cwd=tmp_path, extra_env={"KAILASH_LOG_FORMAT": "xml"})
    assert proc.returncode == 2
    assert proc.stderr == "error: KAILASH_LOG_FORMAT=xml: not a log format; use text or json (or unset it)\n"
    assert proc.stdout == ""


# -- Output -----------------------------------------------------------------------------------


def test_bind_adds_fields_to_every_event_of_a_copy() -> None:
    stream = io.StringIO()
    base = Output(stderr=stream, log_format="json").bind(trace_id="t1")
    bound = base.bind(user="ana", request=None)
    bound.add_secrets(["hunter2-secret"])
    bound.event("run_started", run_id="r1", note="pw hunter2-secret")
    base.event("other", note="hunter2-secret")
    first, second = events(stream.getvalue())
    assert (first["trace_id"], first["user"], first["run_id"]) == ("t1", "ana", "r1")
    assert "request" not in first
    assert first["note"] == "pw ***"
    assert second["trace_id"] == "t1" and "user" not in second
    assert second["note"] == "hunter2-secret"  # the copy's secrets are its own


def test_quiet_keeps_only_errors() -> None:
    stream = io.StringIO()
    quiet = Output(stderr=stream, quiet=True)
    quiet.note("progress")
    quiet.err("a warning", "warning")
    quiet.err("error: bad")
    quiet.finding(Problem("KV1", "warning", "careful", "f.yaml", 1, 1))
    quiet.finding(Problem("KV2", "error", "broken", "f.yaml", 2, 1))
    assert stream.getvalue().splitlines() == ["error: bad", "f.yaml:2:1: error KV2: broken"]
    json_stream = io.StringIO()
    Output(stderr=json_stream, log_format="json", quiet=True).event("node_started")
    assert json_stream.getvalue() == ""


# -- the commands -----------------------------------------------------------------------------

NOISY = """\
name: noisy
secrets: {token: {env: KX_TOKEN}}
nodes:
  talk:
    type: PythonCodeNode
    config:
      t: "${secrets.token}"
      code: |
        import logging, sys
        print("out " + t)
        print("err " + t, file=sys.stderr)
        logging.getLogger("mine").error("logged %s", t)
        logging.getLogger("mine").warning("careful")
        result = 1
"""


def test_json_logs_keep_levels_fields_and_redact_secrets(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", NOISY)
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    proc = kailash(
        "run", "wf.yaml", "--log-format", "json",
        cwd=tmp_path, extra_env={"KX_TOKEN": "tok-abcdef123", "TRACEPARENT": parent},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "tok-abcdef123" not in proc.stderr
    logged = events(proc.stderr)
    assert all(e["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736" for e in logged)
    by_kind = [(e["event"], e["level"], e.get("line") or e.get("message")) for e in logged if e.get("node")]
    assert ("node_output", "info", "out ***") in by_kind
    assert ("node_output", "warning", "err ***") in by_kind
    assert ("node_log", "error", "logged ***") in by_kind
    assert ("node_log", "warning", "careful") in by_kind
    assert all(e["run_id"] == logged[0]["run_id"] for e in logged)


def test_text_logs_write_node_records_as_stderr_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as in a process: pytest's are not there
    write(tmp_path / "wf.yaml", NOISY)
    proc = kailash("run", "wf.yaml", cwd=tmp_path, extra_env={"KX_TOKEN": "tok-abcdef123"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[:4] == ["[talk] out ***", "err ***", "logged ***", "careful"]
    quiet = kailash("run", "wf.yaml", "-q", cwd=tmp_path, extra_env={"KX_TOKEN": "tok-abcdef123"})
    assert quiet.stderr.splitlines() == ["err ***", "logged ***", "careful"]  # node stderr: kept
    assert json.loads(quiet.stdout) == {"talk": {"result": 1}}


CHATTY = """\
name: chatty
nodes:
  talk:
    type: PythonCodeNode
    config:
      code: |
        import logging
        logging.getLogger("mine").debug("details")
        logging.getLogger("mine").info("progress")
        logging.getLogger("mine").warning("careful")
        result = 1
"""


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_verbose_keeps_a_nodes_info_and_debug_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_format: str
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as in a process: pytest's are not there
    write(tmp_path / "wf.yaml", CHATTY)

    def records(*flags: str) -> list[tuple[str, str]]:
        proc = kailash("--log-format", log_format, *flags, "run", "wf.yaml", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert logging.getLogger().level == logging.WARNING  # put back after the run
        if log_format == "text":
            return [
                ("-", line) for line in proc.stderr.splitlines() if line in ("details", "progress", "careful")
            ]
        return [(e["level"], e["message"]) for e in events(proc.stderr) if e["event"] == "node_log"]

    if log_format == "json":
        assert records() == [("warning", "careful")]
        assert records("-v") == [("debug", "details"), ("info", "progress"), ("warning", "careful")]
    else:
        assert records() == [("-", "careful")]
        assert records("-v") == [("-", "details"), ("-", "progress"), ("-", "careful")]


def test_a_programs_own_logging_handlers_are_not_doubled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = io.StringIO()
    monkeypatch.setattr(logging.getLogger(), "handlers", [logging.StreamHandler(mine)])
    write(tmp_path / "wf.yaml", NOISY)
    proc = kailash("run", "wf.yaml", cwd=tmp_path, extra_env={"KX_TOKEN": "tok-abcdef123"})
    assert proc.stderr.splitlines()[:2] == ["[talk] out ***", "err ***"]
    assert "logged" not in proc.stderr  # the program's handler wrote it
    assert "logged ***" in mine.getvalue()  # redacted for every handler
    assert "tok-abcdef123" not in mine.getvalue()


def test_user_is_on_the_json_lines_of_a_run(tmp_path: Path) -> None:
    write(
        tmp_path / "kailash.yaml",
        """\
        access_control:
          users: {ana: {roles: [runner]}}
          roles: {runner: {permissions: [execute]}}
        """,
    )
    write(
        tmp_path / "wf.yaml", "name: u\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    proc = kailash("run", "wf.yaml", "--user", "ana", "--log-format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {e["user"] for e in events(proc.stderr)} == {"ana"}


def test_quiet_and_verbose_work_after_any_command(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml", "name: q\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    assert kailash("run", "wf.yaml", "-q", cwd=tmp_path).stderr == ""
    assert kailash("validate", "wf.yaml", "--quiet", cwd=tmp_path).returncode == 0
    missing = kailash("runs", "show", "nope", "-v", "--log-format", "json", cwd=tmp_path)
    assert missing.returncode == 2
    assert [e["event"] for e in events(missing.stderr)] == ["traceback", "error"]


def test_every_command_writes_json_lines_with_json_logs(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml", "name: q\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    for args in (["validate", "wf.yaml"], ["secrets", "list"], ["runs", "show", "nope"]):
        proc = kailash(
            *args,
            "--log-format",
            "json",
            cwd=tmp_path,
            extra_env={"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring", "HOME": str(tmp_path)},
        )
        assert proc.stderr, args
        for event in events(proc.stderr):
            assert {"ts", "level", "event"} <= set(event), args
    summary = events(kailash("validate", "wf.yaml", "--log-format", "json", cwd=tmp_path).stderr)
    assert [(e["event"], e["level"]) for e in summary] == [("message", "info")]
    assert kailash("validate", "wf.yaml", "-q", cwd=tmp_path).stderr == ""


def test_a_line_without_a_level_takes_it_from_its_start() -> None:
    stream = io.StringIO()
    output = Output(stderr=stream, log_format="json")
    for text in ("error: bad", "warning: odd", "3 files valid"):
        output.err(text)
    assert [(e["level"], e["message"]) for e in events(stream.getvalue())] == [
        ("error", "error: bad"),
        ("warning", "warning: odd"),
        ("info", "3 files valid"),
    ]


def test_a_logged_traceback_is_redacted_and_keeps_its_level(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml",
        """\
        name: tb
        secrets: {token: {env: KX_TOKEN}}
        nodes:
          a:
            type: PythonCodeNode
            config:
              t: "${secrets.token}"
              code: |
                import logging
                try:
                    raise ValueError("bad " + t)
                except ValueError:
                    logging.exception("failed with %s", t)
                result = 1
        """,
    )
    proc = kailash(
        "run", "wf.yaml", "--log-format", "json", cwd=tmp_path, extra_env={"KX_TOKEN": "tok-abcdef123"}
    )
    assert proc.returncode == 0, proc.stderr
    assert "tok-abcdef123" not in proc.stderr
    [logged] = [e for e in events(proc.stderr) if e["event"] == "node_log"]
    assert logged["level"] == "error" and logged["node"] == "a"
    assert logged["message"].startswith("failed with ***\nTraceback")
    assert logged["message"].endswith("ValueError: bad ***")


def test_quiet_keeps_a_nodes_stderr_and_warnings_with_json_logs_as_with_text(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", NOISY)
    quiet = kailash(
        "run", "wf.yaml", "-q", "--log-format", "json", cwd=tmp_path, extra_env={"KX_TOKEN": "tok-abcdef123"}
    )  # fmt: skip
    kept = [(e["event"], e["level"], e.get("line") or e.get("message")) for e in events(quiet.stderr)]
    assert kept == [
        ("node_output", "warning", "err ***"),
        ("node_log", "error", "logged ***"),
        ("node_log", "warning", "careful"),
    ]  # the text run's `["err ***", "logged ***", "careful"]`; progress and the stdout print dropped
