"""What a run tells the outside while it goes on: one base class with every event.

Observers are told on the engine's thread, in order. Subclass :class:`RunObserver` and
override the events you need; the others do nothing. The run's displays (plain lines,
JSON lines, the live table), the store recorder and the audit log are observers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from kailash_cli.model.result import NodeResult, RunResult


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Told once, before the first node: what is about to run."""

    run_id: str
    workflow: str
    types: dict[str, str]  # node id -> type, file order
    hidden: frozenset[str] = frozenset()  # fallback-only nodes: shown only when they stand in
    params: dict[str, Any] = field(default_factory=dict)  # redacted
    resumed_from: str | None = None
    executor: dict[str, Any] | None = None  # where node calls run, when not the local executor


class RunObserver:
    """Every event of a run; each does nothing unless overridden."""

    def run_started(self, run: RunInfo) -> None:
        pass

    def node_started(self, node_id: str) -> None:
        pass

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        pass

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        pass

    def dead_letter(self, node_id: str, node_type: str, params: dict[str, Any], result: NodeResult) -> None:
        pass

    def node_output(self, node_id: str | None, line: str) -> bool:
        """A line node code printed; True when this observer took care of it."""
        return False

    def items_progress(self, node_id: str, done: int, failed: int, total: int | None) -> None:
        """A foreach node finished an item call: items done so far (``failed`` of them), of ``total``."""

    def run_finished(self, result: RunResult) -> None:
        pass


class Observers(RunObserver):
    """Sends each event to every observer, in the order given."""

    def __init__(self, *observers: RunObserver | None) -> None:
        self.observers = [o for o in observers if o is not None]
        # told once a node: only to those that listen (the base does nothing)
        self._starting = [o for o in self.observers if _listens(o, "node_started")]

    def run_started(self, run: RunInfo) -> None:
        for observer in self.observers:
            observer.run_started(run)

    def node_started(self, node_id: str) -> None:
        for observer in self._starting:
            observer.node_started(node_id)

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        for observer in self.observers:
            observer.node_finished(node_id, result)

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        for observer in self.observers:
            observer.node_retrying(node_id, attempt, delay, error)

    def dead_letter(self, node_id: str, node_type: str, params: dict[str, Any], result: NodeResult) -> None:
        for observer in self.observers:
            observer.dead_letter(node_id, node_type, params, result)

    def node_output(self, node_id: str | None, line: str) -> bool:
        return any([observer.node_output(node_id, line) for observer in self.observers])

    def items_progress(self, node_id: str, done: int, failed: int, total: int | None) -> None:
        for observer in self.observers:
            observer.items_progress(node_id, done, failed, total)

    def run_finished(self, result: RunResult) -> None:
        for observer in self.observers:
            observer.run_finished(result)


def _listens(observer: RunObserver, event: str) -> bool:
    """Whether ``observer`` does something on ``event`` (its class or itself overrides it)."""
    own = getattr(observer, "__dict__", {})
    return event in own or getattr(type(observer), event, None) is not getattr(RunObserver, event)


class HidingObservers(Observers):
    """``Observers`` that are told error messages with ``hide`` applied first (the run's
    masked values masked: a node's exception that quotes one, its traceback)."""

    def __init__(self, hide: Callable[[str], str], *observers: RunObserver | None) -> None:
        super().__init__(*observers)
        self.hide = hide

    def _hidden(self, result: NodeResult) -> NodeResult:
        if not result.error and not result.detail:
            return result
        error = self.hide(result.error) if result.error else result.error
        return replace(
            result, error=error, detail=self.hide(result.detail) if result.detail else result.detail
        )

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        super().node_finished(node_id, self._hidden(result))

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        super().node_retrying(node_id, attempt, delay, self.hide(error) if error else error)

    def dead_letter(self, node_id: str, node_type: str, params: dict[str, Any], result: NodeResult) -> None:
        super().dead_letter(node_id, node_type, params, self._hidden(result))
