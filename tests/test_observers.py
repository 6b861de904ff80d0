"""Observers: every event to every observer that listens, in the order given."""

from __future__ import annotations

from kailash_cli.engine.observer import Observers, RunObserver


def test_node_started_reaches_each_observer_that_listens_in_order() -> None:
    told: list[str] = []

    class Listens(RunObserver):
        def node_started(self, node_id: str) -> None:
            told.append(f"class {node_id}")

    silent = RunObserver()
    patched = RunObserver()
    patched.node_started = lambda node_id: told.append(f"own {node_id}")  # type: ignore[method-assign]
    inner = Observers(Listens())

    Observers(silent, Listens(), None, patched, inner).node_started("a")

    assert told == ["class a", "own a", "class a"]
