"""Run a CompiledGraph: schedule ready nodes, call them, record what happened.

The scheduler runs on the calling thread. A node whose inputs are ready is called:

* inline, when it is blocking, nothing else is running or ready, and no timeout applies
  (a linear chain then costs microseconds per node, not a thread hand-off);
* on a daemon worker thread otherwise (blocking calls never block each other);
* on the shared event loop when its type is async (HTTP: no thread per request).

``_invoke`` is the one place a node is called; retries, circuit breakers and fallbacks
wrap it. Completions come back through one queue, so results, skips and observer events
are all handled on the scheduler thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import queue
import time
import traceback
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from jsonschema import Draft202012Validator

from kailash_cli.compiler import CompiledGraph, CompiledNode
from kailash_cli.expressions import ExpressionError, Scope, Template, compile_value, render
from kailash_cli.files import FileAccess
from kailash_cli.nodes.base import NodeContext, Outputs
from kailash_cli.result import FAILED, SKIPPED, SUCCEEDED, NodeResult, RunResult
from kailash_cli.schemas import describe_type
from kailash_cli.workers import Workers

CURRENT_NODE: contextvars.ContextVar[str | None] = contextvars.ContextVar("kailash_node",
                                                                          default=None)


class RunObserver(Protocol):
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
    run_id: str | None = None
    observer: RunObserver | None = None
    prepared: dict[str, Any] = field(default_factory=dict)


_TICK = 0.2


class _Skip(Exception):
    """The node does not run; the message says why."""


class _Fail(Exception):
    """The node fails before it is called (bad input); the message says why."""


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
        self.files = FileAccess(compiled.workflow.base_dir)
        self.workers = Workers(options.max_concurrency)
        self._http: Any = None
        self.pending = {nid: len(n.deps) for nid, n in compiled.nodes.items() if not n.fallback_only}
        self.ready = deque(nid for nid in compiled.order if self.pending.get(nid) == 0)
        self.in_flight: dict[tuple[str, int], tuple[float, float | None]] = {}
        self._seq = 0

    # -- scheduling -------------------------------------------------------------------

    def execute(self) -> RunResult:
        start = time.perf_counter()
        deadline = start + self.options.timeout if self.options.timeout else None
        try:
            while self.ready or self.in_flight:
                self._dispatch_ready()
                if self.in_flight:
                    self._wait(deadline)
        finally:
            self._close()
        duration = (time.perf_counter() - start) * 1000
        return self._result(duration)

    def _dispatch_ready(self) -> None:
        limit = self.options.max_concurrency
        while self.ready and len(self.in_flight) < limit:
            node_id = self.ready.popleft()
            node = self.compiled.nodes[node_id]
            try:
                params = self._inputs(node)
            except _Skip as e:
                self._finish(node_id, NodeResult(SKIPPED, error=str(e)))
                continue
            except (_Fail, ExpressionError) as e:
                self._finish(node_id, NodeResult(FAILED, error=str(e)))
                continue
            self.observer.node_started(node_id)
            ctx = self._context(node)
            if node.node_type.is_async(ctx.prepared):
                self._submit(node, lambda n=node, p=params, c=ctx: self._ainvoke(n, p, c), True)
            elif not self.ready and not self.in_flight and self._timeout(node) is None:
                began = time.perf_counter()
                try:
                    outputs = self._invoke(node, params, ctx)
                except KeyboardInterrupt:
                    raise
                except BaseException as e:  # the node's failure, recorded
                    self._finish(node_id, _failure(e, began))
                else:
                    self._finish(node_id, _success(outputs, began))
            else:
                self._submit(node, lambda n=node, p=params, c=ctx: self._invoke(n, p, c), False)

    def _submit(self, node: CompiledNode, call: Any, is_async: bool) -> None:
        self._seq += 1
        token = (node.spec.id, self._seq)
        timeout = self._timeout(node)
        began = time.perf_counter()
        self.in_flight[token] = (began, began + timeout if timeout else None)
        if is_async:
            self.workers.submit_async(token, call)
        else:
            self.workers.submit(token, call)

    def _wait(self, run_deadline: float | None) -> None:
        deadlines = [d for _, d in self.in_flight.values() if d is not None]
        if run_deadline is not None:
            deadlines.append(run_deadline)
        # Wake up at least every _TICK: a signal (Ctrl-C) may be delivered to a worker
        # thread, and the main thread only runs Python's handler once it stops waiting.
        wait = min(_TICK, max(0.0, min(deadlines) - time.perf_counter())) if deadlines else _TICK
        try:
            token, ok, value = self.workers.completions.get(timeout=wait)
        except queue.Empty:
            self._expire(run_deadline)
            return
        if token not in self.in_flight:
            return  # a call that already timed out finished late: ignored
        began, _ = self.in_flight.pop(token)
        self._finish(token[0], _success(value, began) if ok else _failure(value, began))

    def _expire(self, run_deadline: float | None) -> None:
        now = time.perf_counter()
        run_over = run_deadline is not None and now >= run_deadline
        for token, (began, deadline) in list(self.in_flight.items()):
            if run_over or (deadline is not None and now >= deadline):
                del self.in_flight[token]
                seconds = self._timeout(self.compiled.nodes[token[0]])
                why = (f"run timed out after {self.options.timeout:g}s" if run_over
                       else f"timed out after {seconds:g}s")
                self._finish(token[0], NodeResult(FAILED, 1, (now - began) * 1000, f"TimeoutError: {why}"))
        if run_over:
            for node_id in list(self.ready):
                self._finish(node_id, NodeResult(SKIPPED, error="run timed out"))
            self.ready.clear()
            self.pending.clear()

    def _finish(self, node_id: str, result: NodeResult) -> None:
        self.results[node_id] = result
        if result.status == SUCCEEDED and result.outputs is not None:
            self.outputs[node_id] = result.outputs
        self.observer.node_finished(node_id, result)
        for successor in self.compiled.nodes[node_id].successors:
            if successor in self.pending:
                self.pending[successor] -= 1
                if self.pending[successor] == 0:
                    self.ready.append(successor)

    # -- one node ---------------------------------------------------------------------

    def _timeout(self, node: CompiledNode) -> float | None:
        return node.spec.timeout or (self.options.timeout if self.options.timeout else None)

    def _inputs(self, node: CompiledNode) -> dict[str, Any]:
        for dep in node.order_deps:
            if self.results[dep].status == FAILED and not self.compiled.nodes[dep].spec.continue_on_error:
                raise _Skip(f"depends on '{dep}', which failed")
        missing = [d for d in node.data_deps if self.results[d].status != SUCCEEDED]
        if missing and (not node.node_type.partial_inputs or len(missing) == len(node.data_deps)):
            dep = sorted(missing)[0]
            raise _Skip(f"input from '{dep}' did not arrive ({self.results[dep].status})")
        if node.when is not None and not self._when(node.when):
            raise _Skip("when is false")
        params = dict(node.defaults)
        params.update(node.config)
        if node.resolve:
            params.update(node.resolve(self.scope))
        arrived = 0
        for edge in node.inputs:
            source = self.outputs.get(edge.source)
            if source is None:
                continue
            key = edge.output[0]
            if key not in source:
                source_node = self.compiled.nodes[edge.source]
                declared = source_node.node_type.outputs(source_node.spec.config)
                if declared is not None and key in declared:
                    if node.node_type.partial_inputs:
                        continue
                    raise _Skip(f"'{edge.source}.{key}' was not produced")
                raise _Fail(f"input '{edge.param}': node '{edge.source}' produced no output "
                            f"'{key}' (it produced: {', '.join(sorted(source)) or 'nothing'})")
            params[edge.param] = _dig(source[key], edge)
            arrived += 1
        if node.node_type.partial_inputs and node.inputs and not arrived:
            raise _Skip("no input arrived")
        if node.node_type.checks_params:
            _check_params(node, params)
        return params

    def _when(self, when: Template | str | bool) -> bool:
        if isinstance(when, Template):
            return bool(render(when, self.scope))
        return bool(when) and when not in ("false", "False", "0", "")

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
        failed = any(r.status == FAILED and not self.compiled.nodes[n].spec.continue_on_error
                     for n, r in self.results.items())
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


def _dig(value: Any, edge: Any) -> Any:
    for i, key in enumerate(edge.output[1:], start=1):
        if isinstance(value, Mapping) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.lstrip("-").isdigit() and -len(value) <= int(key) < len(value):
            value = value[int(key)]
        else:
            path = ".".join(edge.output[: i + 1])
            raise _Fail(f"input '{edge.param}': '{edge.source}.{path}' does not exist "
                        f"(got {describe_type(value)})")
    return value


_VALIDATORS: dict[str, Draft202012Validator] = {}


def _check_params(node: CompiledNode, params: dict[str, Any]) -> None:
    validator = _VALIDATORS.get(node.spec.type)
    if validator is None:
        validator = _VALIDATORS[node.spec.type] = Draft202012Validator(node.node_type.schema)
    for error in validator.iter_errors(params):
        where = ".".join(str(p) for p in error.absolute_path) or "parameters"
        if error.validator == "type":
            raise _Fail(f"parameter '{where}' must be {error.validator_value}, got "
                        f"{describe_type(error.instance)}")
        raise _Fail(f"{where}: {error.message}")


def _success(outputs: Any, began: float) -> NodeResult:
    return NodeResult(SUCCEEDED, 1, (time.perf_counter() - began) * 1000, outputs=outputs)


def _failure(error: BaseException, began: float) -> NodeResult:
    message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    detail = "".join(traceback.format_exception(error))
    return NodeResult(FAILED, 1, (time.perf_counter() - began) * 1000, message, detail=detail)


def run(compiled: CompiledGraph, options: RunOptions) -> RunResult:
    """Execute every node that can run; never raises for a node's failure (it is recorded)."""
    return _Run(compiled, options).execute()
