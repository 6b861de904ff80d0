"""The outcome side of a run: what a finished attempt means for its node and the run.

A success settles the node (or the primary a fallback stood in for) and releases its
successors; a failure is retried after its policy's delay, or goes to the dead letters
and to the node's fallback chain; the circuit breaker admits calls and counts outcomes.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kailash_cli.compile.compiler import CompiledGraph, CompiledNode
from kailash_cli.engine.inputs import Fail, InputResolver
from kailash_cli.engine.observer import RunObserver
from kailash_cli.engine.options import RunOptions
from kailash_cli.engine.outcome import failure
from kailash_cli.model.expressions import ExpressionError
from kailash_cli.model.resilience import exception_names
from kailash_cli.model.result import FAILED, SUCCEEDED, NodeResult
from kailash_cli.model.stream import read_streams
from kailash_cli.nodes.base import Outputs


@dataclass(eq=False)
class Attempts:
    """One node execution across its attempts; ``primary`` is the node whose result it gives."""

    node: CompiledNode
    params: dict[str, Any]
    primary: str
    attempt: int = 0
    began: float = 0.0
    last_error: str | None = None
    group: Any = None  # a foreach item call: its node's Items (engine/foreach.py)
    index: int = 0  # the item's index (${item_index})


class Settlement:
    """State the scheduler shares with its outcomes; ``_Run`` in ``scheduler.py`` fills it."""

    compiled: CompiledGraph
    options: RunOptions
    observer: RunObserver
    clock: Callable[[], float]
    inputs: InputResolver
    results: dict[str, NodeResult]
    outputs: dict[str, Outputs]
    pending: dict[str, int]
    ready: deque[str]
    calls: deque[Attempts]
    timers: list[tuple[float, int, Attempts]]
    failed_order: list[str]  # settled failures, in the order they happened
    released_early: dict[str, frozenset[str]]  # foreach streams: successors started before it settled
    _seq: int

    if TYPE_CHECKING:  # ForEachRuns'

        def _item_succeeded(self, call: Attempts, value: Outputs) -> None: ...
        def _item_failed(self, call: Attempts, result: NodeResult) -> NodeResult | None: ...

    def _admitted(self, call: Attempts) -> bool:
        """Ask the node's circuit breaker; an open one fails the call without making it."""
        policy = call.node.breaker
        if policy is None:
            return True
        node_id = call.node.spec.id
        allowed, state = policy.admit(self.options.breakers.get(node_id), self.options.breakers.now())
        self.options.breakers.put(node_id, state)
        if not allowed:  # after failed attempts this is how the call fails for good
            why = policy.refusal(state, self.options.breakers.now())
            if call.last_error:  # keep the cause: the breaker only stopped the retries
                why = f"{call.last_error} (then {why})"
            result = NodeResult(FAILED, call.attempt, self._elapsed(call), why)
            self._final_failure(call, result, dead_letter=call.attempt > 0)
        return allowed

    def _completed(self, call: Attempts, ok: bool, value: Any) -> None:
        node_id = call.node.spec.id
        if ok and self.options.seen is not None:
            self.options.seen(value)
        if call.node.breaker is not None:
            state = call.node.breaker.record(
                self.options.breakers.get(node_id), ok, self.options.breakers.now()
            )
            self.options.breakers.put(node_id, state)
        if ok and call.group is not None:
            self._item_succeeded(call, value)
            return
        if ok:
            result = NodeResult(SUCCEEDED, call.attempt, self._elapsed(call), outputs=value)
            if call.primary != node_id:  # a fallback stood in for the primary
                self._record(node_id, result)
                primary = self.results[call.primary]
                primary.outputs, primary.fallback = value, node_id
                self._settle(call.primary, primary)
            else:
                self._settle(node_id, result)
            return
        result = failure(value, call.attempt, self._elapsed(call))
        call.last_error = result.error
        retry = call.node.retry
        if (
            retry is not None
            and retry.should_retry(exception_names(value), call.attempt)
            and not read_streams(call.params)  # a stream is read once: its reader cannot try again
        ):
            delay = retry.delay(call.attempt)
            self.observer.node_retrying(node_id, call.attempt, delay, result.error)
            self._seq += 1
            heapq.heappush(self.timers, (self.clock() + delay, self._seq, call))
            return
        self._final_failure(call, result, dead_letter=True)

    def _final_failure(self, call: Attempts, result: NodeResult, *, dead_letter: bool) -> None:
        node_id = call.node.spec.id
        if call.group is not None:  # an item: the node may go on
            node_result = self._item_failed(call, result)
            if node_result is None:
                return
            result = node_result
        if dead_letter:
            self.observer.dead_letter(node_id, call.node.spec.type, call.params, result)
        if call.primary == node_id:
            self.results[node_id] = result
        else:
            self._record(node_id, result)
        fallback = call.node.spec.fallback
        if fallback is None:
            self._settle(call.primary, self.results[call.primary])
            return
        primary = self.compiled.nodes[call.primary]
        try:
            params = self.inputs.fallback(self.compiled.nodes[fallback], primary, call.params)
        except (Fail, ExpressionError) as e:
            self._record(fallback, NodeResult(FAILED, error=str(e)))
            self._settle(call.primary, self.results[call.primary])
            return
        self.observer.node_started(fallback)
        self.calls.append(Attempts(self.compiled.nodes[fallback], params, call.primary, began=self.clock()))

    def _record(self, node_id: str, result: NodeResult) -> None:
        """A fallback node's own result: reported, but it releases nothing."""
        self.results[node_id] = result
        self.observer.node_finished(node_id, result)

    def _settle(self, node_id: str, result: NodeResult) -> None:
        """The node is done: record it and queue the successors it was the last wait of."""
        for successor in self._record_settled(node_id, result):
            self.ready.append(successor)

    def _record_settled(self, node_id: str, result: NodeResult) -> list[str]:
        self.results[node_id] = result
        if result.status == FAILED:
            self.failed_order.append(node_id)
        if result.outputs is not None and (result.status == SUCCEEDED or result.fallback):
            self.outputs[node_id] = result.outputs
        self.observer.node_finished(node_id, result)
        released = []
        # not the readers of its stream (released already, engine/feeds.py), nor what a resume restored
        early = self.released_early.get(node_id, ())
        for successor in self.compiled.nodes[node_id].successors:
            if successor in self.pending and successor not in early and successor not in self.results:
                self.pending[successor] -= 1
                if self.pending[successor] == 0:
                    released.append(successor)
        return released

    def _elapsed(self, call: Attempts) -> float:
        return (self.clock() - call.began) * 1000 if call.began else 0.0
