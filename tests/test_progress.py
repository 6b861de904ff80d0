from __future__ import annotations

import io
import json

import pytest

from kailash_cli.model.result import NodeResult
from kailash_cli.report.progress import JsonLogObserver, LineObserver, LiveObserver


def test_line_observer_one_line_per_finished_node(capsys: pytest.CaptureFixture[str]) -> None:
    observer = LineObserver({"read": "CSVReaderNode", "transform": "PythonCodeNode"})
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
    observer = LineObserver({"a": "PythonCodeNode"}, verbose=True)
    observer.node_finished("a", NodeResult("failed", 1, 1.0, "KeyError: 'x'", detail="Traceback\n  line\n"))
    assert capsys.readouterr().err.splitlines() == [
        "FAIL a        1.0 ms  KeyError: 'x'", "Traceback", "  line"]


def test_json_log_observer_records(capsys: pytest.CaptureFixture[str]) -> None:
    observer = JsonLogObserver("run1", "wf")
    observer.node_started("a")
    observer.node_output("a", "printed")
    observer.node_finished("a", NodeResult("failed", 1, 1.23456, "ValueError: x"))
    observer.node_finished("b", NodeResult("succeeded", 1, 2.0))
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    for record in records:
        assert record.pop("ts").endswith("+00:00")
    assert records == [
        {"level": "info", "event": "node_started", "run_id": "run1", "workflow": "wf", "node": "a"},
        {"level": "info", "event": "node_output", "run_id": "run1", "workflow": "wf", "node": "a",
         "line": "printed"},
        {"level": "error", "event": "node_finished", "run_id": "run1", "workflow": "wf", "node": "a",
         "status": "failed", "attempts": 1, "duration_ms": 1.235, "error": "ValueError: x"},
        {"level": "info", "event": "node_finished", "run_id": "run1", "workflow": "wf", "node": "b",
         "status": "succeeded", "attempts": 1, "duration_ms": 2.0, "error": None},
    ]


def test_live_observer_table_shows_each_node_state() -> None:
    from rich.console import Console

    observer = LiveObserver({"read": "CSVReaderNode", "score": "PythonCodeNode", "save": "JSONWriterNode"})
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
    assert rows[3] == ["save", "JSONWriterNode", "skipped",
                       *["input", "from", "'score'", "did", "not", "arrive"]]


def test_live_observer_summarises_large_runs() -> None:
    from rich.console import Console

    types = {f"n{i}": "PythonCodeNode" for i in range(30)}
    observer = LiveObserver(types)
    observer.node_started("n3")
    observer.node_finished("n4", NodeResult("failed", 1, 1.0, "boom"))
    observer.node_finished("n5", NodeResult("succeeded", 1, 1.0))
    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None).print(observer._table())
    rows = [line.split() for line in buffer.getvalue().splitlines()]
    assert [row[0] for row in rows[1:3]] == ["n3", "n4"]
    assert rows[3] == ["30", "nodes", "27", "waiting,", "1", "running,", "1", "failed,", "1", "succeeded"]


def test_live_observer_starts_and_stops() -> None:
    observer = LiveObserver({"a": "PythonCodeNode"})
    with observer as live:
        assert live is observer
        assert observer.live.is_started
    assert not observer.live.is_started
