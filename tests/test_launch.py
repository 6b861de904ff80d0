"""What `run` sets up before the first node: the store's place, node fingerprints, resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import write

from kailash_cli.compile.compiler import CompiledGraph, compile
from kailash_cli.compile.validation import load_workflow
from kailash_cli.errors import UsageError
from kailash_cli.load.config import Config
from kailash_cli.model.result import NodeResult
from kailash_cli.pipeline.setup import node_hashes, resume_state, store_path
from kailash_cli.pipeline.store import Store

WORKFLOW = """\
name: etl
nodes:
  a:
    type: PythonCodeNode
    config: {code: "result = 1"}
  b:
    type: PythonCodeNode
    config: {code: "result = x + 1"}
    retry: {max_attempts: 2}
    fallback: c
  c:
    type: PythonCodeNode
    config: {code: "result = 0"}
  d:
    type: PythonCodeNode
    config: {code: "result = y"}
connections: ["a.result -> b.x", "b.result -> d.y"]
"""


def _compiled(tmp_path: Path, text: str = WORKFLOW) -> CompiledGraph:
    workflow, _ = load_workflow(write(tmp_path / "wf.yaml", text))
    return compile(workflow)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = Store.open(tmp_path / "kailash.db")
    yield opened
    opened.close()


def test_store_path_defaults_beside_the_config(tmp_path: Path) -> None:
    config = Config({}, tmp_path / "proj" / "kailash.yaml")

    assert store_path(config) == tmp_path / "proj" / ".kailash" / "kailash.db"


def test_store_path_without_a_config_is_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert store_path(Config()) == tmp_path / ".kailash" / "kailash.db"


def test_runtime_store_is_relative_to_the_config(tmp_path: Path) -> None:
    config = Config({"runtime": {"store": "state/runs.db"}}, tmp_path / "proj" / "kailash.yaml")
    absolute = Config({"runtime": {"store": str(tmp_path / "abs.db")}}, tmp_path / "proj" / "kailash.yaml")

    assert store_path(config) == tmp_path / "proj" / "state" / "runs.db"
    assert store_path(absolute) == tmp_path / "abs.db"


def test_node_hashes_change_with_what_a_node_is_not_with_how_it_survives(tmp_path: Path) -> None:
    base = node_hashes(_compiled(tmp_path))
    config_changed = node_hashes(_compiled(tmp_path, WORKFLOW.replace("result = 1", "result = 2")))
    retry_changed = node_hashes(_compiled(tmp_path, WORKFLOW.replace("max_attempts: 2", "max_attempts: 5")))
    input_changed = node_hashes(_compiled(tmp_path, WORKFLOW.replace("a.result -> b.x", "a.result -> b.z")))

    assert set(base) == {"a", "b", "c", "d"}
    assert all(len(h) == 16 for h in base.values())
    assert base == node_hashes(_compiled(tmp_path))
    assert [n for n in base if base[n] != config_changed[n]] == ["a"]
    assert retry_changed == base
    assert [n for n in base if base[n] != input_changed[n]] == ["b"]


def _record(
    store: Store,
    compiled: CompiledGraph,
    run_id: str,
    statuses: dict[str, str],
    *,
    run_status: str = "failed",
    workflow: str = "etl",
    hashes: dict[str, str] | None = None,
) -> None:
    store.start_run(
        run_id,
        workflow,
        "/x/wf.yaml",
        "2026-01-01T00:00:00.000+00:00",
        {"p": 1},
        node_hashes(compiled) if hashes is None else hashes,
        None,
        None,
    )
    store.record_nodes(
        run_id,
        [
            {
                "node_id": n,
                "status": s,
                "attempts": 2 if n == "a" else 1,
                "duration_ms": 3.0,
                "error": None if s == "succeeded" else "boom",
                "outputs": {"result": f"out-{n}"} if s == "succeeded" else None,
                "extra": {},
                "position": i,
            }
            for i, (n, s) in enumerate(statuses.items())
        ],
    )
    if run_status != "running":
        store.finish_run(run_id, run_status, "x", 5.0, {})


def test_resume_restores_the_succeeded_nodes_with_their_outputs(tmp_path: Path, store: Store) -> None:
    compiled = _compiled(tmp_path)
    _record(store, compiled, "r1", {"a": "succeeded", "b": "failed", "c": "succeeded", "d": "skipped"})

    params, restored = resume_state(store, "r1", compiled)

    assert params == {"p": 1}
    assert restored == {"a": NodeResult("succeeded", 2, 3.0, outputs={"result": "out-a"}, restored=True)}
    # c is b's fallback: it runs only in b's place, so it is never restored on its own


def test_resume_refuses_an_unknown_run(tmp_path: Path, store: Store) -> None:
    with pytest.raises(UsageError) as caught:
        resume_state(store, "nope", _compiled(tmp_path))

    assert str(caught.value) == (f"unknown run id 'nope'; `kailash runs list` shows the runs in {store.path}")


def test_resume_refuses_a_run_of_another_workflow(tmp_path: Path, store: Store) -> None:
    compiled = _compiled(tmp_path)
    _record(store, compiled, "r1", {"a": "failed"}, workflow="other")

    with pytest.raises(UsageError) as caught:
        resume_state(store, "r1", compiled)

    assert str(caught.value) == (
        "run r1 is a run of workflow 'other', not 'etl'; resume it with its own workflow file"
    )


def test_resume_refuses_a_succeeded_run(tmp_path: Path, store: Store) -> None:
    compiled = _compiled(tmp_path)
    _record(store, compiled, "r1", {"a": "succeeded"}, run_status="succeeded")

    with pytest.raises(UsageError) as caught:
        resume_state(store, "r1", compiled)

    assert str(caught.value) == (
        "run r1 succeeded; there is nothing to resume (run it again without --resume)"
    )


def test_resume_refuses_a_run_that_is_still_running(tmp_path: Path, store: Store) -> None:
    compiled = _compiled(tmp_path)
    _record(store, compiled, "r1", {"a": "succeeded"}, run_status="running")  # this process: alive

    with pytest.raises(UsageError) as caught:
        resume_state(store, "r1", compiled)

    assert str(caught.value) == (
        f"run r1 is still running (process {__import__('os').getpid()}); resume "
        "it once it has failed or been interrupted"
    )


def test_resume_of_an_interrupted_run_is_allowed(tmp_path: Path, store: Store) -> None:
    compiled = _compiled(tmp_path)
    _record(store, compiled, "r1", {"a": "succeeded"}, run_status="running")
    store.db.execute("UPDATE runs SET pid = NULL")  # its process is gone

    _, restored = resume_state(store, "r1", compiled)

    assert list(restored) == ["a"]


def test_resume_refuses_when_a_succeeded_node_changed_naming_it(tmp_path: Path, store: Store) -> None:
    compiled = _compiled(tmp_path)
    hashes = {**node_hashes(compiled), "a": "0" * 16, "d": "1" * 16}
    _record(store, compiled, "r1", {"a": "succeeded", "b": "failed", "d": "succeeded"}, hashes=hashes)

    with pytest.raises(UsageError) as caught:
        resume_state(store, "r1", compiled)

    assert str(caught.value) == (
        "cannot resume run r1: node(s) a, d changed since it ran (type, config, "
        "condition or inputs); run the workflow again without --resume"
    )


def test_resume_allows_a_change_to_a_node_that_failed(tmp_path: Path, store: Store) -> None:
    compiled = _compiled(tmp_path)
    _record(store, compiled, "r1", {"a": "succeeded", "b": "failed"})
    changed = _compiled(tmp_path, WORKFLOW.replace("result = x + 1", "result = x + 2"))

    _, restored = resume_state(store, "r1", changed)

    assert list(restored) == ["a"]


def test_resume_refuses_outputs_that_were_masked_or_redacted(tmp_path: Path, store: Store) -> None:
    from kailash_cli.pipeline.recorder import RunRecorder

    compiled = _compiled(tmp_path)
    store.start_run(
        "r9",
        "etl",
        "/x/wf.yaml",
        "2026-01-01T00:00:00.000+00:00",
        {"p": 1},
        node_hashes(compiled),
        None,
        None,
    )
    recorder = RunRecorder(
        store,
        "r9",
        "etl",
        list(compiled.nodes),
        lambda v: {"result": "***"} if v == {"result": "secret"} else v,
    )
    recorder.node_finished("a", NodeResult("succeeded", 1, 1.0, outputs={"result": "secret"}))
    recorder.node_finished("b", NodeResult("failed", 1, 1.0, error="boom"))
    recorder.flush()
    store.finish_run("r9", "failed", "x", 5.0, {})

    with pytest.raises(UsageError) as caught:
        resume_state(store, "r9", compiled)

    assert str(caught.value) == (
        "cannot resume run r9: the recorded outputs of node(s) a were masked or had secrets redacted, "
        "so they cannot stand in for the real values; run the workflow again without --resume"
    )
