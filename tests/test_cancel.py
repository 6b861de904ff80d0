"""Stopping a run: ``run_workflow(cancel=...)`` and the engine's grace period (no subprocess).

Nodes wait on files the test creates, never on time; the grace period runs on an
injected clock that moves only once the run was cancelled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import write

from kailash_cli import LocalExecutor, run_workflow
from kailash_cli.compile.compiler import compile
from kailash_cli.compile.validation import load_workflow
from kailash_cli.engine.options import INTERRUPTED
from kailash_cli.engine.scheduler import RunOptions, run
from kailash_cli.errors import RunInterrupted, UsageError
from kailash_cli.model.result import RunResult
from kailash_cli.nodes.files import FileAccess
from kailash_cli.pipeline.setup import prepare
from kailash_cli.pipeline.store import Store

GATE = """\
import time
from pathlib import Path

HERE = Path(__file__).parent


def gate(name, after=None):
    (HERE / f"{name}.started").touch()
    end = time.monotonic() + 60
    while not (HERE / f"{name}.release").exists() and time.monotonic() < end:
        time.sleep(0.01)
    return name
"""

CHAIN = """\
name: gated
nodes:
  first: {type: PythonCodeNode, config: {function: "./fns.py:gate", name: first}}
  second:
    type: PythonCodeNode
    config: {function: "./fns.py:gate", name: second, after: "${nodes.first.result}"}
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    write(tmp_path / "fns.py", GATE)
    write(tmp_path / "wf.yaml", CHAIN)
    write(tmp_path / "kailash.yaml", "runtime: {}\n")
    yield tmp_path
    for name in ("first", "second"):  # nothing is left waiting after the test
        (tmp_path / f"{name}.release").touch()


def wait_for(path: Path, limit: float = 30.0) -> None:
    end = time.monotonic() + limit
    while not path.exists():
        assert time.monotonic() < end, f"{path.name} never appeared"
        time.sleep(0.01)


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Start ``call`` on a thread; the dict gets its ``result`` or ``error``."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = call()
        except BaseException as e:
            outcome["error"] = e

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def stored(folder: Path, run_id: str) -> dict[str, Any]:
    store = Store.open(folder / ".kailash" / "kailash.db")
    try:
        record = store.run(run_id)
        assert record is not None
        return record
    finally:
        store.close()


def test_cancel_lets_the_running_node_finish_and_starts_no_other(project: Path) -> None:
    cancel = threading.Event()
    thread, outcome = in_thread(
        lambda: run_workflow(project / "wf.yaml", config=project / "kailash.yaml", cancel=cancel, grace=60)
    )
    wait_for(project / "first.started")
    cancel.set()
    (project / "first.release").touch()  # finishes within its grace period
    thread.join(60)
    error = outcome["error"]
    assert isinstance(error, RunInterrupted) and error.exit_code == 130
    result = error.result
    assert isinstance(result, RunResult)
    assert result.status == INTERRUPTED
    assert (result.nodes["first"].status, result.nodes["second"].status) == ("succeeded", "skipped")
    assert not (project / "second.started").exists()
    assert str(error).endswith(f"--resume {result.run_id}")
    record = stored(project, result.run_id)
    assert (record["status"], record["error"]) == ("interrupted", "interrupted")
    assert record["duration_ms"] > 0

    (project / "second.release").touch()
    resumed = run_workflow(project / "wf.yaml", config=project / "kailash.yaml", resume=result.run_id)
    assert resumed.status == "succeeded"
    assert resumed.nodes["first"].restored and not resumed.nodes["second"].restored


def test_the_config_grace_applies_and_a_node_past_it_is_abandoned(project: Path) -> None:
    write(project / "kailash.yaml", "runtime: {shutdown_grace: 0}\n")
    cancel = threading.Event()
    thread, outcome = in_thread(
        lambda: run_workflow(project / "wf.yaml", config=project / "kailash.yaml", cancel=cancel)
    )
    wait_for(project / "first.started")
    cancel.set()
    thread.join(60)
    assert not thread.is_alive()
    result = outcome["error"].result
    assert result.nodes["first"].status == "failed"
    assert result.nodes["first"].error == (
        "interrupted: still running 0s after the run was stopped; abandoned"
    )
    assert stored(project, result.run_id)["status"] == "interrupted"


def test_runs_at_once_stop_on_their_own_event(project: Path) -> None:
    write(
        project / "other.yaml", CHAIN.replace("gated", "other").replace("first", "solo").split("  second")[0]
    )
    stop_one = threading.Event()
    one, one_out = in_thread(
        lambda: run_workflow(project / "wf.yaml", config=project / "kailash.yaml", cancel=stop_one, grace=60)
    )
    two, two_out = in_thread(
        lambda: run_workflow(
            project / "other.yaml", config=project / "kailash.yaml", cancel=threading.Event()
        )
    )
    wait_for(project / "first.started")
    wait_for(project / "solo.started")
    stop_one.set()
    (project / "first.release").touch()
    one.join(60)
    (project / "solo.release").touch()
    two.join(60)
    assert one_out["error"].result.status == "interrupted"
    assert two_out["result"].status == "succeeded"


def test_a_bad_grace_is_a_usage_error(project: Path) -> None:
    with pytest.raises(UsageError, match="grace: -1 is not a number of seconds >= 0"):
        run_workflow(project / "wf.yaml", config=project / "kailash.yaml", grace=-1)


# -- the engine: the grace period on the run's clock -------------------------------------


class CancelClock:
    """Stands still until the run is cancelled; then every reading is a second later."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            if self.cancel.is_set():
                self.now += 1.0
            return self.now


def engine_run(
    folder: Path, cancel: threading.Event, grace: float, timeout: float | None = None
) -> RunResult:
    workflow, _ = load_workflow(folder / "wf.yaml")
    compiled = compile(workflow)
    with LocalExecutor(4) as executor:
        options = RunOptions(
            executor=executor,
            files=FileAccess(folder),
            prepared=prepare(compiled),
            cancel=cancel,
            grace=grace,
            clock=CancelClock(cancel),
            node_timeout=timeout,
        )
        return run(compiled, options)


def test_engine_abandons_a_worker_node_when_the_grace_is_over(project: Path) -> None:
    cancel = threading.Event()
    thread, outcome = in_thread(lambda: engine_run(project, cancel, grace=5))
    wait_for(project / "first.started")
    cancel.set()
    thread.join(60)
    result = outcome["result"]
    assert result.status == "interrupted"
    assert result.nodes["first"].error == "interrupted: still running 5s after the run was stopped; abandoned"
    assert result.nodes["second"].status == "skipped"


def test_engine_interrupts_a_node_run_inline_on_the_main_thread(project: Path) -> None:
    cancel = threading.Event()

    def stop_when_started() -> None:
        wait_for(project / "first.started")
        cancel.set()

    helper = threading.Thread(target=stop_when_started)
    helper.start()
    result = engine_run(project, cancel, grace=3)  # on the main thread: the node runs inline
    helper.join()
    assert result.status == "interrupted"
    assert result.nodes["first"].error == "interrupted: still running 3s after the run was stopped; abandoned"
    assert not (project / "second.started").exists()


def test_engine_without_cancel_runs_to_the_end(project: Path) -> None:
    (project / "first.release").touch()
    (project / "second.release").touch()
    never = threading.Event()
    result = engine_run(project, never, grace=1)
    assert result.status == "succeeded"


def test_off_the_main_thread_a_cancellable_run_keeps_nodes_off_its_own_thread(tmp_path: Path) -> None:
    """A node run inline on the caller's thread could not be abandoned: with a cancel event,
    off the main thread, every node goes to the executor; without one it may run inline."""
    write(
        tmp_path / "where.py", "import threading\ndef where():\n    return threading.current_thread().name\n"
    )
    path = write(
        tmp_path / "wf.yaml",
        'name: w\nnodes:\n  a: {type: PythonCodeNode, config: {function: "./where.py:where"}}\n',
    )
    config = write(tmp_path / "kailash.yaml", "runtime: {}\n")
    names: dict[str, str] = {}

    def caller(tag: str, cancel: threading.Event | None) -> None:
        names[tag] = run_workflow(path, config=config, cancel=cancel).outputs["a"]["result"]

    for tag, cancel in (("plain", None), ("cancellable", threading.Event())):
        thread = threading.Thread(target=caller, args=(tag, cancel), name=f"caller-{tag}")
        thread.start()
        thread.join(60)
    assert names["plain"] == "caller-plain"
    assert names["cancellable"].startswith("kailash-worker")
