"""Run a CompiledGraph: schedule ready nodes, call them, record what happened.

The scheduler runs on the calling thread. A node whose inputs are ready is called:

* inline, when it is blocking, nothing else is running or ready, and no timeout applies
  (a linear chain then costs microseconds per node, not a thread hand-off);
* on a daemon worker thread otherwise (blocking calls never block each other);
* on the shared event loop when its type is async (HTTP: no thread per request).

``_invoke`` is the one place a node is called. Around it, on the scheduler thread: the
circuit breaker admits or refuses a call, a failed attempt is retried after its policy's
delay (a timer, so a waiting retry holds no thread), a final failure goes to the dead
letters and to the node's fallback chain. Completions come back through one queue, so
results, skips and observer events are all handled on the scheduler thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import queue
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from kailash_cli.compile.compiler import CompiledGraph, CompiledNode
from kailash_cli.engine.files import FileAccess
from kailash_cli.engine.inputs import Fail, InputResolver, Skip
from kailash_cli.engine.local import Workers
from kailash_cli.engine.resilience import BreakerBook, exception_names
from kailash_cli.errors import KailashError
from kailash_cli.model.expressions import ExpressionError, Scope, compile_value
from kailash_cli.model.result import FAILED, SKIPPED, SUCCEEDED, NodeResult, RunResult
from kailash_cli.nodes.base import NodeContext, Outputs

CURRENT_NODE: contextvars.ContextVar[str | None] = contextvars.ContextVar("kailash_node",
                                                                          default=None)


class RunObserver(Protocol):
    """Told what happens, on the scheduler thread. Optional extra methods, called when an
    observer has them: ``node_retrying(node_id, attempt, delay, error)`` and
    ``dead_letter(node_id, node_type, params, result)``."""

    def node_started(self, node_id: str) -> None: ...

    def node_finished(self, node_id: str, result: NodeResult) -> None: ...


class _NoObserver:
    def node_started(self, node_id: str) -> None:
        pass

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        pass


@dataclass
class RunOptions:
    params: dict[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict)
    max_concurrency: int = 16
    timeout: float | None = None
    node_timeout: float | None = None  # default per-node timeout (security.execution_timeout)
    run_id: str | None = None
    observer: RunObserver | None = None
    prepared: dict[str, Any] = field(default_factory=dict)
    restored: dict[str, NodeResult] = field(default_factory=dict)  # resume: not run again
    breakers: BreakerBook = field(default_factory=BreakerBook)
    files: FileAccess | None = None
    stop: Callable[[], str | None] | None = None  # a reason to stop starting nodes (memory limit)


class RunStopped(KailashError):
    """The run was stopped by a limit; no further node was started."""


_TICK = 0.2


@dataclass(eq=False)
class _Call:
    """One node execution across its attempts; ``primary`` is the node whose result it gives."""

    node: CompiledNode
    params: dict[str, Any]
    primary: str
    attempt: int = 0
    began: float = 0.0
    last_error: str | None = None


class _Run:
    def __init__(self, compiled: CompiledGraph, options: RunOptions) -> None:
        self.compiled = compiled
        self.options = options
        self.observer = options.observer or _NoObserver()
        self.run_id = options.run_id or uuid.uuid4().hex[:12]
        self.started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self.results: dict[str, NodeResult] = {}
        self.outputs: dict[str, Outputs] = {}
        self.scope = Scope({"params": options.params, "env": dict(options.environ),
                            "secrets": options.secrets, "nodes": self.outputs,
                            "run": {"id": self.run_id, "started_at": self.started_at,
                                    "workflow": compiled.workflow.name}}, options.environ)
        self.inputs = InputResolver(compiled, self.results, self.outputs, self.scope)
        self.files = options.files or FileAccess(compiled.workflow.base_dir)
        self.workers = Workers(options.max_concurrency)
        self._http: Any = None
        self.pending = {nid: len(n.deps) for nid, n in compiled.nodes.items() if not n.fallback_only}
        self.ready: deque[str] = deque()
        self.calls: deque[_Call] = deque()
        self.timers: list[tuple[float, int, _Call]] = []
        self.in_flight: dict[int, tuple[_Call, float, float | None]] = {}
        self._seq = 0
        self._restore(options.restored)

    def _restore(self, restored: dict[str, NodeResult]) -> None:
        """Start ready: the resumed run's successes are settled first, never run again."""
        for node_id in self.compiled.order:
            if node_id in restored and node_id in self.pending:
                self._record_settled(node_id, restored[node_id])
        self.ready.extend(n for n in self.compiled.order if self.pending.get(n) == 0
                          and n not in self.results)

    # -- scheduling -------------------------------------------------------------------

    def execute(self) -> RunResult:
        start = time.perf_counter()
        deadline = start + self.options.timeout if self.options.timeout else None
        stopped: str | None = None
        try:
            while self.ready or self.calls or self.in_flight or self.timers:
                self._dispatch_ready()
                if self.in_flight or self.timers:
                    self._wait(deadline)
        except RunStopped as e:
            stopped = str(e)
        except KeyboardInterrupt:  # a limit's watch interrupts the main thread; Ctrl-C goes on up
            stopped = self.options.stop() if self.options.stop else None
            if not stopped:
                raise
        finally:
            self._close()
        if stopped:
            self._abort(stopped, "run stopped")
        result = self._result((time.perf_counter() - start) * 1000)
        if stopped:
            result.status, result.error = FAILED, stopped
        return result

    def _dispatch_ready(self) -> None:
        limit = self.options.max_concurrency
        while (self.calls or self.ready) and len(self.in_flight) < limit:
            self._check_stop()
            call = self.calls.popleft() if self.calls else self._first_call(self.ready.popleft())
            if call is not None:
                self._launch(call)

    def _first_call(self, node_id: str) -> _Call | None:
        node = self.compiled.nodes[node_id]
        try:
            params = self.inputs.resolve(node)
        except Skip as e:
            self._settle(node_id, NodeResult(SKIPPED, error=str(e)))
            return None
        except (Fail, ExpressionError) as e:
            self._settle(node_id, NodeResult(FAILED, error=str(e)))
            return None
        self.observer.node_started(node_id)
        return _Call(node, params, node_id, began=time.perf_counter())

    def _launch(self, call: _Call) -> None:
        node = call.node
        if not self._admitted(call):
            return
        call.attempt += 1
        ctx = self._context(node)
        if node.node_type.is_async(ctx.prepared):
            self._submit(call, lambda: self._ainvoke(node, call.params, ctx), True)
        elif not self.ready and not self.calls and not self.in_flight and self._timeout(node) is None:
            try:
                outputs = self._invoke(node, call.params, ctx)
            except KeyboardInterrupt:
                raise
            except BaseException as e:  # the node's failure, recorded
                self._completed(call, False, e)
            else:
                self._completed(call, True, outputs)
        else:
            self._submit(call, lambda: self._invoke(node, call.params, ctx), False)

    def _admitted(self, call: _Call) -> bool:
        """Ask the node's circuit breaker; an open one fails the call without making it."""
        policy = call.node.breaker
        if policy is None:
            return True
        node_id = call.node.spec.id
        allowed, state = policy.admit(self.options.breakers.get(node_id), time.time())
        self.options.breakers.put(node_id, state)
        if not allowed:  # after failed attempts this is how the call fails for good
            why = policy.refusal(state, time.time())
            if call.last_error:  # keep the cause: the breaker only stopped the retries
                why = f"{call.last_error} (then {why})"
            result = NodeResult(FAILED, call.attempt, self._elapsed(call), why)
            self._final_failure(call, result, dead_letter=call.attempt > 0)
        return allowed

    def _submit(self, call: _Call, make: Any, is_async: bool) -> None:
        self._seq += 1
        timeout = self._timeout(call.node)
        began = time.perf_counter()
        self.in_flight[self._seq] = (call, began, began + timeout if timeout else None)
        if is_async:
            self.workers.submit_async(self._seq, make)
        else:
            self.workers.submit(self._seq, make)

    def _wait(self, run_deadline: float | None) -> None:
        deadlines = [d for _, _, d in self.in_flight.values() if d is not None]
        deadlines += [due for due, _, _ in self.timers[:1]]
        if run_deadline is not None:
            deadlines.append(run_deadline)
        # Wake up at least every _TICK: a signal (Ctrl-C) may be delivered to a worker
        # thread, and the main thread only runs Python's handler once it stops waiting.
        wait = min(_TICK, max(0.0, min(deadlines) - time.perf_counter())) if deadlines else _TICK
        if not self.in_flight:  # only retries are waiting for their time
            time.sleep(wait)
            self._expire(run_deadline)
            return
        try:
            token, ok, value = self.workers.completions.get(timeout=wait)
        except queue.Empty:
            self._expire(run_deadline)
            return
        entry = self.in_flight.pop(token, None)
        if entry is not None:  # else: a call that already timed out finished late
            self._completed(entry[0], ok, value)
        self._expire(run_deadline)
        self._check_stop()

    def _expire(self, run_deadline: float | None) -> None:
        now = time.perf_counter()
        while self.timers and self.timers[0][0] <= now:
            self.calls.append(heapq.heappop(self.timers)[2])
        if run_deadline is not None and now >= run_deadline:
            self._run_timed_out()
            return
        for token, (call, _, deadline) in list(self.in_flight.items()):
            if deadline is not None and now >= deadline:
                del self.in_flight[token]
                self.workers.abandon(token)
                seconds = self._timeout(call.node)
                self._completed(call, False, TimeoutError(f"timed out after {seconds:g}s"))

    def _check_stop(self) -> None:
        reason = self.options.stop() if self.options.stop else None
        if reason:
            raise RunStopped(reason)

    def _run_timed_out(self) -> None:
        self._abort(f"TimeoutError: run timed out after {self.options.timeout:g}s", "run timed out")

    def _abort(self, why: str, skipped: str) -> None:
        """End the run now: what is running or waiting fails with ``why``, the rest is skipped."""
        for token in self.in_flight:
            self.workers.abandon(token)
        stuck = [c for c, _, _ in self.in_flight.values()] + [c for _, _, c in self.timers]
        stuck += list(self.calls)
        self.in_flight.clear()
        self.timers.clear()
        self.calls.clear()
        for call in stuck:
            result = NodeResult(FAILED, call.attempt, self._elapsed(call), why)
            if call.attempt:
                self._notify("dead_letter", call.node.spec.id, call.node.spec.type, call.params, result)
            self._settle(call.primary, result)
        for node_id in list(self.ready):
            self._settle(node_id, NodeResult(SKIPPED, error=skipped))
        self.ready.clear()
        self.pending.clear()

    # -- outcomes ---------------------------------------------------------------------

    def _completed(self, call: _Call, ok: bool, value: Any) -> None:
        node_id = call.node.spec.id
        if call.node.breaker is not None:
            state = call.node.breaker.record(self.options.breakers.get(node_id), ok, time.time())
            self.options.breakers.put(node_id, state)
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
        result = _failure(value, call.attempt, self._elapsed(call))
        call.last_error = result.error
        retry = call.node.retry
        if retry is not None and retry.should_retry(exception_names(value), call.attempt):
            delay = retry.delay(call.attempt)
            self._notify("node_retrying", node_id, call.attempt, delay, result.error)
            self._seq += 1
            heapq.heappush(self.timers, (time.perf_counter() + delay, self._seq, call))
            return
        self._final_failure(call, result, dead_letter=True)

    def _final_failure(self, call: _Call, result: NodeResult, *, dead_letter: bool) -> None:
        node_id = call.node.spec.id
        if dead_letter:
            self._notify("dead_letter", node_id, call.node.spec.type, call.params, result)
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
        self.calls.append(_Call(self.compiled.nodes[fallback], params, call.primary,
                                began=time.perf_counter()))

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
        if result.outputs is not None and (result.status == SUCCEEDED or result.fallback):
            self.outputs[node_id] = result.outputs
        self.observer.node_finished(node_id, result)
        released = []
        for successor in self.compiled.nodes[node_id].successors:
            if successor in self.pending:
                self.pending[successor] -= 1
                if self.pending[successor] == 0:
                    released.append(successor)
        return released

    def _notify(self, event: str, *args: Any) -> None:
        method = getattr(self.observer, event, None)
        if method is not None:
            method(*args)

    # -- one node ---------------------------------------------------------------------

    def _timeout(self, node: CompiledNode) -> float | None:
        return node.spec.timeout or self.options.node_timeout or self.options.timeout or None

    @staticmethod
    def _elapsed(call: _Call) -> float:
        return (time.perf_counter() - call.began) * 1000 if call.began else 0.0

    def _context(self, node: CompiledNode) -> NodeContext:
        return NodeContext(node_id=node.spec.id, files=self.files, environ=self.options.environ,
                           prepared=self.options.prepared.get(node.spec.id), http=self._http_client)

    def _http_client(self) -> Any:
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(follow_redirects=True, timeout=30.0)
        return self._http

    def _invoke(self, node: CompiledNode, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        token = CURRENT_NODE.set(node.spec.id)
        try:
            return node.node_type.run(params, ctx)
        finally:
            CURRENT_NODE.reset(token)

    async def _ainvoke(self, node: CompiledNode, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        CURRENT_NODE.set(node.spec.id)
        return await node.node_type.arun(params, ctx)

    # -- the end ----------------------------------------------------------------------

    def _close(self) -> None:
        if self._http is not None:
            client = self._http
            with contextlib.suppress(Exception):  # closing a client is best effort at the end of a run
                self.workers.call_in_loop(client.aclose)
        self.workers.close()

    def _result(self, duration_ms: float) -> RunResult:
        for node_id in self.compiled.order:
            if node_id not in self.results and not self.compiled.nodes[node_id].fallback_only:
                self.results[node_id] = NodeResult(SKIPPED, error="not reached")
        failed = any(r.status == FAILED and not r.fallback and not node.fallback_only
                     and not node.spec.continue_on_error
                     for n, r in self.results.items() for node in (self.compiled.nodes[n],))
        ordered = {n: self.results[n] for n in self.compiled.workflow.nodes if n in self.results}
        return RunResult(self.run_id, self.compiled.workflow.name, FAILED if failed else SUCCEEDED,
                         self.started_at, duration_ms, ordered, self._outputs())

    def _outputs(self) -> dict[str, Any]:
        declared = self.compiled.workflow.outputs
        if declared is None:
            return {nid: self.compiled.nodes[nid].node_type.visible_outputs(self.outputs[nid])
                    for nid in self.compiled.workflow.nodes if nid in self.outputs}  # file order
        values = {}
        for name, value in declared.items():
            resolve = compile_value(value)
            try:
                values[name] = resolve(self.scope) if resolve else value
            except ExpressionError:
                values[name] = None
        return values


def _failure(error: BaseException, attempts: int, duration_ms: float) -> NodeResult:
    message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    detail = "".join(traceback.format_exception(error))
    return NodeResult(FAILED, attempts, duration_ms, message, detail=detail)


def run(compiled: CompiledGraph, options: RunOptions) -> RunResult:
    """Execute every node that can run; never raises for a node's failure (it is recorded)."""
    return _Run(compiled, options).execute()
