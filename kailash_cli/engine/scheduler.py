"""Run a CompiledGraph: schedule ready nodes, call them, record what happened.

The scheduler runs on the calling thread. A node whose inputs are ready is called:

* inline, when it is blocking, nothing else is running or ready, no timeout applies, the
  executor allows it and (given a cancel event) this is the main thread: a linear chain
  then costs microseconds per node, not a hand-off;
* else by the executor (``engine/executor.py``): the local one runs blocking calls on
  worker threads and async ones on one event loop; another may run them elsewhere.

Each attempt is a ``NodeCall``. Around it, on the scheduler thread: the circuit breaker
admits or refuses a call, a failed attempt is retried after its policy's delay (a timer,
so a waiting retry holds no thread), a final failure goes to the dead letters and to the
node's fallback chain. Completions come back through one queue, so results, skips and
observer events are all handled on the scheduler thread. Once ``options.cancel`` is set
no node starts; running ones get ``options.grace`` seconds (``engine/stopping.py``)."""

from __future__ import annotations

import heapq
import queue
import uuid
from collections import deque
from datetime import UTC, datetime

from kailash_cli.compile.compiler import CompiledGraph, CompiledNode
from kailash_cli.engine.executor import Completions, NodeCall
from kailash_cli.engine.feeds import has_feed_stream
from kailash_cli.engine.foreach import ForEachRuns, Items
from kailash_cli.engine.handlers import FailureHandlers
from kailash_cli.engine.inputs import Fail, InputResolver, Skip
from kailash_cli.engine.options import INTERRUPTED, RunOptions
from kailash_cli.engine.outcome import run_result
from kailash_cli.engine.settle import Attempts, Settlement
from kailash_cli.engine.stopping import GraceWatch, Stopping, on_main_thread
from kailash_cli.errors import RunStopped
from kailash_cli.model.evaluation import Scope
from kailash_cli.model.expressions import ExpressionError
from kailash_cli.model.foreach import TokenBucket
from kailash_cli.model.result import FAILED, SKIPPED, NodeResult, RunResult
from kailash_cli.model.stream import abort_streams
from kailash_cli.nodes.base import Outputs

_TICK = 0.2


class _Run(ForEachRuns, Settlement, Stopping, FailureHandlers):
    def __init__(self, compiled: CompiledGraph, options: RunOptions) -> None:
        self.compiled = compiled
        self.options = options
        self.observer = options.observer
        self.executor = options.executor
        self.clock = options.clock
        self.run_id = options.run_id or uuid.uuid4().hex[:12]
        self.started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self.results: dict[str, NodeResult] = {}
        self.outputs: dict[str, Outputs] = {}
        self.scope = Scope(
            {
                "params": options.params,
                "env": {**options.environ, **(options.env or {})},
                "secrets": options.secrets,
                "nodes": self.outputs,
                "run": {
                    "id": self.run_id,
                    "started_at": self.started_at,
                    "workflow": compiled.workflow.name,
                    "status": "running",
                },
            },
            options.environ,
        )
        self.inputs = InputResolver(compiled, self.results, self.outputs, self.scope)
        self.secret_values = tuple(str(v) for v in options.secrets.values())
        self.pending = {
            nid: len(n.deps) for nid, n in compiled.nodes.items() if not n.fallback_only and not n.on_failure
        }
        self.failed_order: list[str] = []
        self.ready: deque[str] = deque()
        self.calls: deque[Attempts] = deque()
        self.timers: list[tuple[float, int, Attempts]] = []
        self.in_flight: dict[tuple[str, int], tuple[Attempts, float, float | None]] = {}
        self.completions: Completions = queue.SimpleQueue()
        self.groups: list[Items] = []  # foreach nodes with items still to call
        self.released_early: dict[str, frozenset[str]] = {}
        self.buckets: dict[str, list[TokenBucket]] = {}  # rate limits, by node
        self._seq = 0
        self.cancelled_at: float | None = None  # the run's clock when the stop was seen
        self.inline_call: Attempts | None = None  # the node running on this thread, if any
        # off the main thread a node run inline could not be abandoned after the grace period
        self.may_inline = self.executor.inline and (options.cancel is None or on_main_thread())
        self._restore(options.restored)

    def _restore(self, restored: dict[str, NodeResult]) -> None:
        """Start ready: the resumed run's successes are settled first, never run again."""
        for node_id in self.compiled.order:
            if node_id in restored and node_id in self.pending:
                self._record_settled(node_id, restored[node_id])
        self.ready.extend(
            n for n in self.compiled.order if self.pending.get(n) == 0 and n not in self.results
        )

    # -- scheduling -------------------------------------------------------------------

    def execute(self) -> RunResult:
        start = self.clock()
        deadline = start + self.options.timeout if self.options.timeout else None
        stopped: str | None = None
        watch = GraceWatch(self.options, lambda: self.inline_call is not None)
        try:
            with watch:
                self._loop(deadline)
                if self.cancelled_at is None and self._release_handlers():
                    self._loop(None)  # the run's deadline is past when it timed out: alerts still go
        except RunStopped as e:
            stopped = str(e)
        except KeyboardInterrupt:  # a limit's watch interrupts the main thread; Ctrl-C, the grace watch
            stopped = self.options.stop() if self.options.stop else None
            if not stopped:
                if self.options.cancel is None:
                    raise
                self.options.cancel.set()  # Ctrl-C with a cancel event: stop now, keep the record
                self._cancelled()
                self._abandon(at_once=not watch.fired)
        if stopped:
            self._abort(stopped, "run stopped")
        self._handlers_skipped("the run was stopped" if stopped or self.cancelled_at else "not reached")
        interrupted = not stopped and self._interrupted()  # before the result adds "not reached"
        self._close_streams()
        result = self._result((self.clock() - start) * 1000)
        if stopped:
            result.status, result.error = FAILED, stopped
        elif interrupted:
            result.status, result.error = INTERRUPTED, "interrupted"
        return result

    def _loop(self, deadline: float | None) -> None:
        while self.ready or self.calls or self.in_flight or self.timers or self.groups:
            if not self._cancelled():
                self._dispatch_ready()
            if self.in_flight or self.timers:
                self._wait(deadline)
            elif self.groups and not self.ready and not self.calls:
                self._unblock_feeds(self.groups)  # no node is left to read their streams
            if self._grace_over():
                self._abandon()

    def _dispatch_ready(self) -> None:
        limit = self.options.max_concurrency
        while len(self.in_flight) < limit and not self._cancelled():
            if self.calls or self.ready:
                self._check_stop()
                call = self.calls.popleft() if self.calls else self._first_call(self.ready.popleft())
            elif (call := self._next_item()) is None:
                break
            if call is not None:
                self._launch(call)

    def _first_call(self, node_id: str) -> Attempts | None:
        node = self.compiled.nodes[node_id]
        try:
            params = self.inputs.resolve(node)
        except Skip as e:
            self._settle(node_id, NodeResult(SKIPPED, error=str(e)))
            return None
        except (Fail, ExpressionError) as e:
            self._settle(node_id, NodeResult(FAILED, error=str(e)))
            return None
        if node.foreach is not None:
            self._start_items(node, params)
            return None
        self.observer.node_started(node_id)
        return Attempts(node, params, node_id, began=self.clock())

    def _launch(self, call: Attempts) -> None:
        node = call.node
        if self._held(call) or not self._admitted(call):
            return
        if self.options.seen is not None and not call.attempt:  # before node code can print them
            self.options.seen(call.params)
        call.attempt += 1
        node_call = NodeCall(
            node.spec.id,
            node.spec.type,
            call.params,
            self.options.files,
            self.options.environ,
            self.options.prepared.get(node.spec.id),
            self.secret_values,
            self.run_id,
            self.options.databases,
        )
        if (
            self.may_inline
            and not self.ready
            and not self.calls
            and not self.in_flight
            and not self._items_waiting()
            and self._timeout(node) is None
            and not node.node_type.is_async(node_call.prepared)
            and not has_feed_stream(call.params)
        ):
            self.inline_call = call
            value: object
            try:
                ok, value = True, node_call.run()
            except KeyboardInterrupt:
                raise
            except BaseException as e:  # the node's failure, recorded
                ok, value = False, e
            self.inline_call = None
            self._completed(call, ok, value)
        else:
            self._submit(call, node_call)

    def _submit(self, call: Attempts, node_call: NodeCall) -> None:
        self._seq += 1
        token = (self.run_id, self._seq)  # unique across runs sharing one executor
        timeout = self._timeout(call.node)
        began = self.clock()
        self.in_flight[token] = (call, began, began + timeout if timeout else None)
        self.executor.submit(token, node_call, self.completions)

    def _wait(self, run_deadline: float | None) -> None:
        deadlines = [d for _, _, d in self.in_flight.values() if d is not None]
        deadlines += [due for due, _, _ in self.timers[:1]]
        if run_deadline is not None:
            deadlines.append(run_deadline)
        if self.cancelled_at is not None:
            deadlines.append(self.cancelled_at + self.options.grace)
        # At least every _TICK: the main thread runs a signal's handler only once it stops waiting
        wait = min(_TICK, max(0.0, min(deadlines) - self.clock())) if deadlines else _TICK
        if not self.in_flight:  # only retries are waiting for their time
            self.options.sleep(wait)
            self._expire(run_deadline)
            return
        try:
            token, ok, value = self.completions.get(timeout=wait)
        except queue.Empty:
            self._expire(run_deadline)
            return
        entry = self.in_flight.pop(token, None)
        if entry is not None:  # else: a call that already timed out finished late
            self._completed(entry[0], ok, value)
        self._expire(run_deadline)
        self._check_stop()

    def _expire(self, run_deadline: float | None) -> None:
        now = self.clock()
        while self.timers and self.timers[0][0] <= now:
            self.calls.append(heapq.heappop(self.timers)[2])
        if run_deadline is not None and now >= run_deadline:
            self._abort(f"TimeoutError: run timed out after {self.options.timeout:g}s", "run timed out")
            return
        for token, (call, _, deadline) in list(self.in_flight.items()):
            if deadline is not None and now >= deadline:
                del self.in_flight[token]
                self.executor.cancel(token)
                seconds = self._timeout(call.node)
                abort_streams(call.params, f"'{call.node.spec.id}' timed out after {seconds:g}s")
                self._completed(call, False, TimeoutError(f"timed out after {seconds:g}s"))

    def _check_stop(self) -> None:
        reason = self.options.stop() if self.options.stop else None
        if reason:
            raise RunStopped(reason)

    def _abort(self, why: str, skipped: str) -> None:
        """End the run now: what is running or waiting fails with ``why``, the rest is skipped."""
        for token in self.in_flight:
            self.executor.cancel(token)
        stuck = [c for c, _, _ in self.in_flight.values()] + [c for _, _, c in self.timers]
        stuck += list(self.calls)
        stuck = self._drop_items(stuck, why)
        self.in_flight.clear()
        self.timers.clear()
        self.calls.clear()
        for call in stuck:
            result = NodeResult(FAILED, call.attempt, self._elapsed(call), why)
            if call.attempt:
                self.observer.dead_letter(call.node.spec.id, call.node.spec.type, call.params, result)
            self._settle(call.primary, result)
        for node_id in list(self.ready):
            self._settle(node_id, NodeResult(SKIPPED, error=skipped))
        self.ready.clear()
        self.pending.clear()

    def _timeout(self, node: CompiledNode) -> float | None:
        return node.spec.timeout or self.options.node_timeout or self.options.timeout or None

    def _result(self, duration_ms: float) -> RunResult:
        return run_result(
            self.compiled, self.results, self.outputs, self.scope, (self.run_id, self.started_at, duration_ms)
        )


def run(compiled: CompiledGraph, options: RunOptions) -> RunResult:
    """Execute every node that can run; never raises for a node's failure (it is recorded)."""
    return _Run(compiled, options).execute()
