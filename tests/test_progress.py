from __future__ import annotations

import io
import json

import pytest

from kailash_cli.engine.observer import RunInfo
from kailash_cli.model.result import NodeResult, RunResult
from kailash_cli.report.output import Output
from kailash_cli.report.progress import JsonLogObserver, LineObserver, LiveObserver, display


def started(observer, types: dict[str, str], run_id: str = "run1", workflow: str = "wf"):
    """``observer`` told that a run of ``types`` began (as the pipeline tells it)."""
    observer.run_started(RunInfo(run_id, workflow, types))
    return observer


def test_line_observer_one_line_per_finished_node(capsys: pytest.CaptureFixture[str]) -> None:
    observer = started(LineObserver(Output()), {"read": "CSVReaderNode", "transform": "PythonCodeNode"})
    observer.node_started("read")
    observer.node_finished("read", NodeResult("succeeded", 1, 12.345))
    observer.node_finished("transform", NodeResult("failed", 1, 3.0, "ValueError: bad", detail="Tb"))
    observer.node_finished("read", NodeResult("skipped", error="when is false"))
    assert capsys.readouterr().err.splitlines() == [
        "ok   read            12.3 ms",
        "FAIL transform        3.0 ms  ValueError: bad",
        "skip read       skipped: when is false",
    ]


def test_line_observer_verbose_adds_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    observer = started(LineObserver(Output(verbose=True)), {"a": "PythonCodeNode"})
    observer.node_finished("a", NodeResult("failed", 1, 1.0, "KeyError: 'x'", detail="Traceback\n  line\n"))
    assert capsys.readouterr().err.splitlines() == [
        "FAIL a        1.0 ms  KeyError: 'x'",
        "Traceback",
        "  line",
    ]


def test_json_log_observer_records(capsys: pytest.CaptureFixture[str]) -> None:
    observer = started(JsonLogObserver(Output(log_format="json")), {"a": "PythonCodeNode"})
    capsys.readouterr()  # the run_started event (tested below)
    observer.node_started("a")
    observer.node_output("a", "printed")
    observer.node_finished("a", NodeResult("failed", 1, 1.23456, "ValueError: x"))
    observer.node_finished("b", NodeResult("succeeded", 1, 2.0))
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    for record in records:
        assert record.pop("ts").endswith("+00:00")
    assert records == [
        {"level": "info", "event": "node_started", "run_id": "run1", "workflow": "wf", "node": "a"},
        {
            "level": "info",
            "event": "node_output",
            "run_id": "run1",
            "workflow": "wf",
            "node": "a",
            "line": "printed",
        },
        {
            "level": "error",
            "event": "node_finished",
            "run_id": "run1",
            "workflow": "wf",
            "node": "a",
            "status": "failed",
            "attempts": 1,
            "duration_ms": 1.235,
            "error": "ValueError: x",
        },
        {
            "level": "info",
            "event": "node_finished",
            "run_id": "run1",
            "workflow": "wf",
            "node": "b",
            "status": "succeeded",
            "attempts": 1,
            "duration_ms": 2.0,
            "error": None,
        },
    ]


def test_live_observer_table_shows_each_node_state() -> None:
    from rich.console import Console

    observer = LiveObserver(Output())
    observer.types = {"read": "CSVReaderNode", "score": "PythonCodeNode", "save": "JSONWriterNode"}
    observer.node_started("read")
    observer.node_finished("read", NodeResult("succeeded", 1, 12.0))
    observer.node_started("score")
    observer.node_finished("save", NodeResult("skipped", error="input from 'score' did not arrive"))
    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None).print(observer._table())
    rows = [line.split() for line in buffer.getvalue().splitlines()]
    assert rows[0] == ["node", "type", "status", "time"]
    assert rows[1] == ["read", "CSVReaderNode", "succeeded", "12", "ms"]
    assert rows[2][:3] == ["score", "PythonCodeNode", "running"]
    assert rows[3] == [
        "save",
        "JSONWriterNode",
        "skipped",
        *["input", "from", "'score'", "did", "not", "arrive"],
    ]


def test_live_observer_summarises_large_runs() -> None:
    from rich.console import Console

    types = {f"n{i}": "PythonCodeNode" for i in range(30)}
    observer = LiveObserver(Output())
    observer.types = types
    observer.node_started("n3")
    observer.node_finished("n4", NodeResult("failed", 1, 1.0, "boom"))
    observer.node_finished("n5", NodeResult("succeeded", 1, 1.0))
    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None).print(observer._table())
    rows = [line.split() for line in buffer.getvalue().splitlines()]
    assert [row[0] for row in rows[1:3]] == ["n3", "n4"]
    assert rows[3] == ["30", "nodes", "27", "waiting,", "1", "running,", "1", "failed,", "1", "succeeded"]


def test_live_observer_starts_and_stops_with_the_run() -> None:
    observer = started(LiveObserver(Output()), {"a": "PythonCodeNode"})
    live = observer.live
    assert live.is_started
    observer.run_finished(RunResult("run1", "wf", "succeeded", "", 1.0, {}, {}))
    assert not live.is_started and observer.live is None


def test_json_log_observer_logs_the_run_start_and_end(capsys: pytest.CaptureFixture[str]) -> None:
    observer = JsonLogObserver(Output(log_format="json"))
    observer.run_started(RunInfo("r9", "wf", {"a": "PythonCodeNode"}, params={"n": 1}))
    observer.run_finished(RunResult("r9", "wf", "failed", "", 2.5, {"a": NodeResult("failed")}, {}, "boom"))
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(r["event"], r["level"], r["run_id"]) for r in records] == [
        ("run_started", "info", "r9"),
        ("run_finished", "error", "r9"),
    ]
    assert (records[0]["params"], records[1]["nodes"], records[1]["error"]) == (
        {"n": 1},
        {"failed": 1},
        "boom",
    )


def test_display_follows_the_output(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(display(Output(log_format="json")), JsonLogObserver)
    assert isinstance(display(Output(stderr=io.StringIO())), LineObserver)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    assert isinstance(display(Output(stderr=Tty())), LiveObserver)
