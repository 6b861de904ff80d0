"""The collector around big structures: paused while they are built, frozen while a run holds them."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from helpers import write

from kailash_cli import NodeResult, RunObserver, WorkflowValidationError, run_workflow
from kailash_cli.load.gcpause import gc_frozen, gc_paused


def test_paused_restores_the_collector_nested() -> None:
    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_first_run_freezes_and_the_last_one_gives_back() -> None:
    assert gc.get_freeze_count() == 0
    kept = [[] for _ in range(10)]
    with gc_frozen():
        frozen = gc.get_freeze_count()
        assert frozen >= len(kept)
        more = [[] for _ in range(10)]
        with gc_frozen():  # a second run at once freezes nothing more
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen  # the first run still goes on
    assert gc.get_freeze_count() == 0
    assert len(more) == 10


def test_given_back_when_the_body_fails() -> None:
    with pytest.raises(KeyboardInterrupt), gc_frozen():
        assert gc.get_freeze_count() > 0
        raise KeyboardInterrupt
    assert gc.get_freeze_count() == 0


def test_a_run_freezes_while_nodes_run_and_gives_back(tmp_path: Path) -> None:
    seen: list[int] = []

    class Frozen(RunObserver):
        def node_finished(self, node_id: str, result: NodeResult) -> None:
            seen.append(gc.get_freeze_count())

    config = write(tmp_path / "kailash.yaml", "runtime: {}\n")
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: frozen
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 1"}}
        """,
    )
    assert run_workflow(path, config=config, observers=[Frozen()]).status == "succeeded"
    assert len(seen) == 1 and seen[0] > 0
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    bad = write(tmp_path / "bad.yaml", "name: bad\nnodes: {a: {type: Nope}}\n")
    with pytest.raises(WorkflowValidationError):
        run_workflow(bad, config=config)
    assert gc.get_freeze_count() == 0 and gc.isenabled()
