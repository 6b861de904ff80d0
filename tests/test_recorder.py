"""RunRecorder: batched, redacted writes of a run into the store; Observers fan-out."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kailash_cli.engine.observer import Observers, RunObserver
from kailash_cli.model.result import FAILED, SUCCEEDED, NodeResult, RunResult
from kailash_cli.pipeline.recorder import RunRecorder
from kailash_cli.pipeline.store import Store
from kailash_cli.security.redact import Redactor

SECRET = "tok-1234567890"


class CountingStore(Store):
    """A real store that counts the node-execution transactions."""

    writes: list[int]

    def record_nodes(self, run_id: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.writes.append(len(rows))
        super().record_nodes(run_id, rows)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = CountingStore.open(tmp_path / "kailash.db")
    assert isinstance(opened, CountingStore)
    opened.writes = []
    yield opened
    opened.close()


def _recorder(store: Store, order: list[str], **kw: Any) -> RunRecorder:
    recorder = RunRecorder(store, "r1", "wf", order, Redactor([SECRET]).value, **kw)
    recorder.begin("/x/wf.yaml", "2026-01-01T00:00:00.000+00:00", {"key": SECRET, "n": 1}, {"a": "h"})
    return recorder


def _result(status: str = SUCCEEDED, nodes: dict[str, NodeResult] | None = None) -> RunResult:
    return RunResult(
        "r1",
        "wf",
        status,
        "2026-01-01T00:00:00.005+00:00",
        12.5,
        nodes or {},
        {"a": {"result": f"x {SECRET} y"}},
    )


def test_a_thousand_nodes_are_written_in_two_batches_not_a_thousand_transactions(
    store: CountingStore,
) -> None:
    order = [f"n{i}" for i in range(1000)]
    recorder = _recorder(store, order, batch_size=500, interval=3600)

    for node_id in order:
        recorder.node_finished(node_id, NodeResult(SUCCEEDED, 1, 0.1, outputs={"result": 1}))
    assert store.writes == [500, 500]
    recorder.finish(_result())

    assert store.writes == [500, 500]  # nothing left for the last write
    run = store.run("r1")
    assert run is not None and len(run["nodes"]) == 1000
    assert list(run["nodes"])[:3] == ["n0", "n1", "n2"]


def test_pending_results_are_written_at_the_end(store: CountingStore) -> None:
    recorder = _recorder(store, ["a", "b"], interval=3600)
    recorder.node_finished("a", NodeResult(SUCCEEDED, 1, 1.0, outputs={"result": 1}))
    recorder.node_finished("b", NodeResult(FAILED, 3, 2.0, error="ValueError: no"))
    assert store.writes == []

    recorder.finish(_result(FAILED))

    assert store.writes == [2]
    run = store.run("r1")
    assert run is not None
    assert run["status"] == FAILED
    assert run["duration_ms"] == 12.5
    assert run["started_at"] == "2026-01-01T00:00:00.005+00:00"  # the engine's, as `run -o json` shows
    assert {n: (r["status"], r["attempts"], r["error"]) for n, r in run["nodes"].items()} == {
        "a": (SUCCEEDED, 1, None),
        "b": (FAILED, 3, "ValueError: no"),
    }


def test_a_finished_node_reaches_the_store_within_the_interval_without_other_events(
    store: CountingStore,
) -> None:
    """A run killed during a long node must keep the nodes that finished before it."""
    recorder = _recorder(store, ["first", "long"], interval=0.05)
    recorder.node_finished("first", NodeResult(SUCCEEDED, 1, 0.2, outputs={"result": 1}))

    give_up = time.monotonic() + 10
    while not store.writes and time.monotonic() < give_up:
        time.sleep(0.02)

    assert store.writes == [1]
    other = Store.open(store.path)  # what another process (runs list, --resume) sees
    run = other.run("r1")
    other.close()
    assert run is not None and list(run["nodes"]) == ["first"]
    recorder.finish(_result())


def test_no_timer_writes_after_the_run_is_finished(store: CountingStore) -> None:
    recorder = _recorder(store, ["a"], interval=0.05)
    recorder.node_finished("a", NodeResult(SUCCEEDED, 1, 0.2, outputs={"result": 1}))
    recorder.finish(_result())
    store.close()  # as `run` does; a late timer would now hit a closed database

    time.sleep(0.2)  # filterwarnings=error turns an exception in a timer thread into a failure

    assert store.writes == [1]


def test_everything_written_is_redacted(store: CountingStore) -> None:
    recorder = _recorder(store, ["a", "b"])
    recorder.node_finished("a", NodeResult(SUCCEEDED, 1, 1.0, outputs={"result": {SECRET: SECRET}}))
    failed = NodeResult(FAILED, 2, 1.0, error=f"HTTPError: 401 for token={SECRET}")
    recorder.node_finished("b", failed)
    recorder.dead_letter("b", "HTTPRequestNode", {"headers": {"Authorization": f"Bearer {SECRET}"}}, failed)
    recorder.finish(_result(FAILED))

    run = store.run("r1")
    letter = store.dead_letter(1)

    assert run is not None and letter is not None
    assert run["params"] == {"key": "***", "n": 1}
    assert run["outputs"] == {"a": {"result": "x *** y"}}
    assert run["nodes"]["a"]["outputs"] == {"result": {"***": "***"}}
    assert run["nodes"]["b"]["error"] == "HTTPError: 401 for token=***"
    assert letter["inputs"] == {"headers": {"Authorization": "Bearer ***"}}
    assert letter["error"] == "HTTPError: 401 for token=***"
    assert letter["attempts"] == 2
    store.close()
    for file in store.path.parent.iterdir():
        assert SECRET.encode() not in file.read_bytes(), file


def test_fallback_and_restored_are_kept_as_extras(store: CountingStore) -> None:
    recorder = _recorder(store, ["a", "b"])
    recorder.node_finished("a", NodeResult(SUCCEEDED, 1, 1.0, outputs={}, restored=True))
    recorder.node_finished("b", NodeResult(FAILED, 1, 1.0, error="x", outputs={}, fallback="c"))
    recorder.node_finished("c", NodeResult(SUCCEEDED, 1, 1.0, outputs={}))  # not in the order: last
    recorder.finish(_result())

    run = store.run("r1")

    assert run is not None
    assert {n: r["extra"] for n, r in run["nodes"].items()} == {
        "a": {"restored": True},
        "b": {"fallback": "c"},
        "c": {},
    }


def test_interrupted_records_the_status_and_the_time_it_ran(store: CountingStore) -> None:
    recorder = _recorder(store, ["a"], interval=3600)
    recorder.node_finished("a", NodeResult(SUCCEEDED, 1, 1.0, outputs={"result": 1}))
    time.sleep(0.06)

    recorder.interrupted()

    run = store.run("r1")
    assert run is not None
    assert (run["status"], run["error"], list(run["nodes"])) == ("interrupted", "interrupted", ["a"])
    assert run["duration_ms"] >= 60


class _Seen(RunObserver):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def node_started(self, node_id: str) -> None:
        self.events.append(("started", node_id))

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        self.events.append(("finished", node_id, result.status))

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        self.events.append(("retrying", node_id, attempt, delay, error))


class _OnlyDeadLetters(RunObserver):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def dead_letter(self, node_id: str, node_type: str, params: dict[str, Any], result: NodeResult) -> None:
        self.events.append(("dead_letter", node_id, node_type, params, result.error))


def test_observers_send_each_event_to_every_observer() -> None:
    seen, letters = _Seen(), _OnlyDeadLetters()
    fan = Observers(seen, None, letters)
    failed = NodeResult(FAILED, 2, 1.0, error="boom")

    fan.node_started("a")
    fan.node_retrying("a", 1, 0.5, "boom")
    fan.node_finished("a", failed)
    fan.dead_letter("a", "PythonCodeNode", {"x": 1}, failed)

    assert fan.observers == [seen, letters]
    assert seen.events == [("started", "a"), ("retrying", "a", 1, 0.5, "boom"), ("finished", "a", FAILED)]
    assert letters.events == [("dead_letter", "a", "PythonCodeNode", {"x": 1}, "boom")]


def test_outputs_over_the_limit_are_kept_as_a_redacted_summary(store: CountingStore) -> None:
    recorder = _recorder(store, ["big", "small"], interval=3600, output_limit=1000)
    rows = [{"id": i, "token": SECRET} for i in range(100)]
    recorder.node_finished("big", NodeResult(SUCCEEDED, 1, 1.0, outputs={"rows": rows}))
    recorder.node_finished("small", NodeResult(SUCCEEDED, 1, 1.0, outputs={"result": 1}))
    recorder.finish(_result())

    run = store.run("r1")
    assert run is not None
    big, small = run["nodes"]["big"], run["nodes"]["small"]
    assert big["outputs"] == {
        "rows": {
            "summary": "list of 100 items, over 1,000 bytes as JSON",
            "first": [{"id": 0, "token": "***"}, {"id": 1, "token": "***"}, {"id": 2, "token": "***"}],
        }
    }
    assert big["extra"] == {"unstored": True, "large": True}  # a resume runs it again
    assert small["outputs"] == {"result": 1} and not (small["extra"] or {}).get("unstored")
