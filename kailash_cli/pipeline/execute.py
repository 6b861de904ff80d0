"""The engine run inside the policy's guards: memory watch, command guard, node output."""

from __future__ import annotations

import _thread
import contextlib
import logging
import sys
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kailash_cli.compile.compiler import CompiledGraph
from kailash_cli.engine.executor import Executor
from kailash_cli.engine.observer import RunObserver
from kailash_cli.engine.scheduler import RunOptions
from kailash_cli.engine.scheduler import run as run_graph
from kailash_cli.errors import RunStopped
from kailash_cli.model.resilience import BreakerBook
from kailash_cli.model.result import FAILED, RunResult
from kailash_cli.pipeline.policy import CommandGuard, RunPolicy
from kailash_cli.pipeline.store import Store
from kailash_cli.report.capture import Route, node_line, routed
from kailash_cli.report.output import Output

if TYPE_CHECKING:
    from kailash_cli.db.settings import DatabaseSpec
    from kailash_cli.load.config import Config


def _route(output: Output, observer: RunObserver, run_id: str, workflow: str, policy: RunPolicy) -> Route:
    """Where node output goes: stdout lines are info, stderr lines warnings, logging records
    keep their level (as JSON events; as text, stderr lines and records go to stderr as is).
    Every line has the values the user's masking rules mask masked, as far as the run has
    seen them (``policy.masked``), before it goes anywhere."""
    masked = policy.masked.text if policy.masked is not None else None

    def sink(node: str | None, line: str) -> None:
        line = masked(line) if masked else line
        if observer.node_output(node, line):
            return
        if output.json_logs:  # structured without a progress observer too (serve, the API)
            output.event("node_output", "info", run_id=run_id, workflow=workflow, node=node, line=line)
        else:
            output.note(node_line(node, output.redact(line)))

    def stderr_sink(node: str | None, line: str) -> None:
        line = masked(line) if masked else line
        fields = {"run_id": run_id, "workflow": workflow, "node": node, "line": line}
        output.kept_event("node_output", "warning", **fields)  # kept by -q, as in text

    def log(node: str | None, level: str, message: str) -> bool:
        if not output.json_logs:
            return False
        message = masked(message) if masked else message
        fields = {"run_id": run_id, "workflow": workflow, "node": node, "message": message}
        if level in ("warning", "error"):  # kept by -q, as in text
            output.kept_event("node_log", level, **fields)
        else:
            output.event("node_log", level, **fields)
        return True

    def redact(text: str) -> str:  # stderr lines as text, logging records
        return output.redact(masked(text) if masked else text)

    json_logs = output.json_logs
    secrets = lambda: output.redactor.values  # noqa: E731 - remembered by the capture for good
    level = logging.DEBUG if output.verbose else logging.WARNING  # -v: a node's info and debug records too
    stderr = stderr_sink if json_logs else None
    return Route(sink, redact, json_logs, stderr, log, secrets, log_level=level, masked=masked)


def _learned(policy: RunPolicy, params: dict[str, Any]) -> Any:
    """The hook that learns masked values from node inputs and outputs, the params' own
    learned first (an ``ssn`` param passed to a node under another key is masked too)."""
    if policy.masked is None:
        return None
    policy.masked.learn(params)
    return policy.masked.learn


def execute(
    compiled: CompiledGraph,
    policy: RunPolicy,
    observer: RunObserver,
    output: Output,
    *,
    run_id: str,
    params: dict[str, Any],
    environ: Any,
    secrets: dict[str, Any],
    env: dict[str, Any] | None = None,
    prepared: dict[str, Any],
    restored: dict[str, Any],
    store: Store,
    executor: Executor,
    max_concurrency: int,
    cancel: threading.Event | None = None,
    grace: float = 10.0,
) -> RunResult:
    """Run the graph; the memory limit, the command guard and the capture of node output on.

    What node code prints goes to ``output``'s stderr as ``[node] text`` (to an observer
    that takes it; with JSON logs a ``node_output`` event), with the run's secrets redacted. Once ``cancel``
    is set no node starts; nodes still running ``grace`` seconds later are abandoned, and
    the result's status is ``interrupted``.
    """
    wf = compiled.workflow
    watch = policy.memory_watch(lambda peak: _thread.interrupt_main())
    options = RunOptions(
        executor=executor,
        files=policy.files(wf),
        params=params,
        environ=environ,
        env=env,
        secrets=secrets,
        max_concurrency=max_concurrency,
        timeout=policy.timeout(wf),
        node_timeout=policy.node_timeout,
        run_id=run_id,
        observer=observer,
        prepared=prepared,
        restored=restored,
        breakers=BreakerBook(
            lambda n: store.breaker(wf.name, n), lambda n, s: store.save_breaker(wf.name, n, s)
        ),
        stop=watch.stop_reason if watch is not None else None,
        cancel=cancel,
        grace=grace,
        databases=_databases(policy.config, environ),
        seen=_learned(policy, params),
        hide=policy.masked.text if policy.masked is not None else None,
    )  # no node starts past the limit
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(_close_pools, run_id)  # the run's database pools end with it
            if policy.command_validation:
                stack.enter_context(CommandGuard.guarding(run_id))

            stack.enter_context(routed(run_id, _route(output, observer, run_id, wf.name, policy)))
            if watch is not None:
                stack.enter_context(watch)
            _prepare_http(executor, compiled, prepared)
            result = run_graph(compiled, options)
    except KeyboardInterrupt:
        reason = watch.stop_reason() if watch is not None else None
        if reason:  # the watch's interruption arrived outside the scheduler loop
            raise RunStopped(reason) from None
        raise
    reason = watch.stop_reason() if watch is not None else None
    if reason and result.succeeded:  # node code swallowed the interruption: still over the limit
        result = replace(result, status=FAILED, error=reason)
    return result


def _prepare_http(executor: Executor, compiled: CompiledGraph, prepared: dict[str, Any]) -> None:
    """An executor that shares an HTTP client makes it before a run with HTTP nodes (issue 15)."""
    prepare_http = getattr(executor, "prepare_http", None)
    if prepare_http is not None and any(
        node.node_type.is_async(prepared.get(node_id)) for node_id, node in compiled.nodes.items()
    ):
        prepare_http()


def _databases(config: Config, environ: Mapping[str, str]) -> dict[str, DatabaseSpec]:
    """The config's ``databases:`` as specs; without that section the SQL layer is not loaded."""
    section = config.section("databases")
    if not section:
        return {}
    from kailash_cli.db.settings import database_specs

    return database_specs(section, config.base_dir, environ)


def _close_pools(run_id: str) -> None:
    """The run's database pools end with it; no SQL node imported the pools, none were opened."""
    pools = sys.modules.get("kailash_cli.db.pools")
    if pools is not None:
        pools.POOLS.close_run(run_id)
