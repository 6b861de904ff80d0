"""``on_failure`` nodes: run after the run has failed, before it ends; skipped otherwise.

They are not part of the run's normal schedule (``_Run.pending`` leaves them out). Once
nothing else can run, a failed run releases them: ``${failure.node}`` (the first node
whose failure failed the run), ``${failure.error}`` (its error, secrets already ``***``
and masked values masked), ``${failure.nodes}`` (every failed node, in the order they
failed) and ``${run.status}`` (``failed``) are then in scope. Inputs from nodes that did
not succeed skip them as anywhere else; their own failures are recorded but never change
the run's status or hide its first error (``engine/outcome.py`` leaves them out of the verdict).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from kailash_cli.model.result import FAILED, SKIPPED, NodeResult
from kailash_cli.security.redact import Redactor

if TYPE_CHECKING:
    from kailash_cli.compile.compiler import CompiledGraph
    from kailash_cli.engine.observer import RunObserver
    from kailash_cli.engine.options import RunOptions
    from kailash_cli.model.evaluation import Scope


def fails_run(compiled: CompiledGraph, node_id: str, result: NodeResult) -> bool:
    """Whether this node's result makes the run fail."""
    node = compiled.nodes[node_id]
    return (
        result.status == FAILED
        and not result.fallback
        and not node.fallback_only
        and not node.spec.continue_on_error
        and not node.on_failure
    )


class FailureHandlers:
    """Mixed into ``_Run``: what it needs is set there."""

    compiled: CompiledGraph
    options: RunOptions
    results: dict[str, NodeResult]
    pending: dict[str, int]
    ready: deque[str]
    scope: Scope
    observer: RunObserver
    secret_values: tuple[str, ...]
    failed_order: list[str]

    def _handlers_skipped(self, why: str) -> None:
        for node_id in self.compiled.handlers:
            if node_id not in self.results:
                self.results[node_id] = NodeResult(SKIPPED, error=why)
                self.observer.node_finished(node_id, self.results[node_id])

    def _release_handlers(self) -> bool:
        """Queue the on_failure nodes when the run has failed; False when there is nothing to run."""
        handlers = self.compiled.handlers
        if not handlers:
            return False
        failing = [n for n in self.failed_order if fails_run(self.compiled, n, self.results[n])]
        if not failing:
            self._handlers_skipped("the run did not fail")
            return False
        for node_id in self.compiled.order:  # what a timeout left unreached: its readers skip
            node = self.compiled.nodes[node_id]
            if node_id not in self.results and not node.fallback_only and not node.on_failure:
                self.results[node_id] = NodeResult(SKIPPED, error="not reached")
        self.scope["failure"] = self._failure(failing[0])
        self.scope["run"]["status"] = FAILED
        for node_id in handlers:
            self.pending[node_id] = len(self.compiled.nodes[node_id].deps & set(handlers))
        self.ready.extend(n for n in handlers if self.pending[n] == 0)
        return True

    def _failure(self, first: str) -> dict[str, Any]:
        redact = Redactor(self.secret_values)
        error = self.results[first].error or ""
        nodes = [n for n in self.failed_order if self.results[n].status == FAILED]
        hide = self.options.hide or str
        return {"node": first, "error": redact.text(hide(error)), "nodes": nodes}
