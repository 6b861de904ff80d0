"""``kailash run WORKFLOW``: validate, compile, execute; results on stdout."""

from __future__ import annotations

import _thread
import contextlib
import json
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from kailash_cli.compile.compiler import CompiledGraph, compile
from kailash_cli.compile.plan import plan, render_plan
from kailash_cli.compile.validation import load_workflow
from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.engine.resilience import BreakerBook
from kailash_cli.engine.scheduler import CURRENT_NODE, RunOptions
from kailash_cli.engine.scheduler import run as run_graph
from kailash_cli.errors import AccessDeniedError, KailashError, RunInterrupted, UsageError
from kailash_cli.load import params as params_mod
from kailash_cli.load.config import load_config
from kailash_cli.model.result import FAILED, RunResult
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline import secrets as secrets_mod
from kailash_cli.pipeline.policy import AuditObserver, CommandGuard, RunPolicy
from kailash_cli.pipeline.recorder import Observers, RunRecorder
from kailash_cli.pipeline.setup import (
    check_environment,
    node_hashes,
    prepare,
    resume_state,
    runtime_settings,
    store_path,
)
from kailash_cli.pipeline.store import Store, now_iso
from kailash_cli.report import metrics
from kailash_cli.report.console import err, node_output_to_stderr, out, set_redactor, stderr_is_terminal
from kailash_cli.report.findings import text_line
from kailash_cli.report.progress import JsonLogObserver, LineObserver, LiveObserver
from kailash_cli.security.redact import Redactor

T = TypeVar("T")


def _report(result: RunResult, output_format: str, json_log: JsonLogObserver | None,
            mask: Callable[[Any], Any]) -> None:
    outputs = mask(result.outputs)
    document = {**result.to_dict(), "outputs": outputs} if output_format == "json" else outputs
    out(json.dumps(document, indent=2, default=str))
    counts: dict[str, int] = {}
    for node in result.nodes.values():
        counts[node.status] = counts.get(node.status, 0) + 1
    if json_log is not None:
        json_log.log("run_finished", "info" if result.succeeded else "error", status=result.status,
                     duration_ms=round(result.duration_ms, 3), nodes=counts, error=result.error)
        return
    if result.error:
        err(f"error: {result.error}")
    if output_format != "json":
        detail = ", ".join(f"{n} {s}" for s, n in counts.items())
        err(f"run {result.run_id} {result.status} in {result.duration_ms:.0f} ms ({detail})")


def _observers(types: dict[str, str], hidden: frozenset[str], json_log: JsonLogObserver | None,
               verbose: bool) -> tuple[Any, LiveObserver | None]:
    """What stderr shows: JSON lines, a live table on a terminal, else a line per node."""
    if json_log is not None:
        return json_log, None
    if stderr_is_terminal():
        live = LiveObserver(types, hidden)
        return live, live
    return LineObserver(types, verbose), None


def _values(workflow: Workflow, compiled: CompiledGraph, store: Store | None, resume: str | None,
            cli_params: list[str], params_file: Path | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The params of the run, and the nodes restored from the run it resumes."""
    if resume is None:
        file_values = params_mod.read_params_file(params_file) if params_file else {}
        return params_mod.resolve(workflow.params, cli_params, file_values), {}
    if cli_params or params_file:
        raise UsageError("--resume uses the params of the run it resumes; drop -p/--params-file")
    assert store is not None
    file_values, restored = resume_state(store, resume, compiled)
    return params_mod.resolve(workflow.params, [], file_values, source=f"run {resume}"), restored


def _execute(compiled: CompiledGraph, options: RunOptions, policy: RunPolicy,
             live: LiveObserver | None, json_log: JsonLogObserver | None) -> RunResult:
    """Run the graph with node output on stderr, the memory watch and the command guard on."""
    watch = policy.memory_watch(lambda peak: _thread.interrupt_main())
    if watch is not None:
        options.stop = watch.stop_reason  # no node starts once the limit was passed
    if policy.command_validation:
        CommandGuard.install(CURRENT_NODE.get)
    try:
        with contextlib.ExitStack() as stack:
            sink = json_log.node_output if json_log else None
            stack.enter_context(node_output_to_stderr(CURRENT_NODE, sink))
            if watch is not None:
                stack.enter_context(watch)
            if live is not None:
                stack.enter_context(live)
            result = run_graph(compiled, options)
    except KeyboardInterrupt:
        reason = watch.stop_reason() if watch is not None else None
        if reason:  # the watch's interruption arrived outside the scheduler loop
            raise KailashError(reason) from None
        raise
    finally:
        CommandGuard.uninstall()
    reason = watch.stop_reason() if watch is not None else None
    if reason and result.succeeded:  # node code swallowed the interruption: still over the limit
        result.status, result.error = FAILED, reason
    return result


def _collect(errors: list[str], step: Callable[[], T], default: T) -> T:
    """Run a start-up check; its problems are kept so that all of them are reported at once."""
    try:
        return step()
    except UsageError as e:
        errors.extend(str(e).splitlines())
        return default


def _refused(run_id: str, workflow: Workflow, why: str) -> RunResult:
    return RunResult(run_id, workflow.name, FAILED, now_iso(), 0.0, {}, {}, error=why)


def run(path: Path, *, cli_params: list[str] | None = None, params_file: Path | None = None,
        config_path: Path | None = None, output_format: str = "text", dry_run: bool = False,
        resume: str | None = None, user: str | None = None, metrics_file: Path | None = None,
        log_format: str = "text",
        verbose: bool = False, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    workflow, warnings = load_workflow(path)
    run_id = uuid.uuid4().hex[:12]
    json_log = JsonLogObserver(run_id, workflow.name) if log_format == "json" else None
    for warning in warnings:
        if json_log is not None:
            json_log.log("finding", warning.severity, **warning.to_dict())
        else:
            err(text_line(warning))
    config = load_config(config_path)
    if metrics_file is not None:
        metrics.check_target(metrics_file)
    policy = RunPolicy.build(config, user)
    compiled = compile(workflow)
    store = None if dry_run else Store.open(store_path(config))
    errors: list[str] = []
    nothing: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
    values, restored = _collect(errors, lambda: _values(workflow, compiled, store, resume,
                                                        cli_params or [], params_file), nothing)
    _collect(errors, lambda: check_environment(workflow, environ), None)
    prepared = nothing[1] if dry_run else _collect(errors, lambda: prepare(compiled), nothing[1])
    if errors:
        raise UsageError("\n".join(errors))
    if dry_run:
        out(render_plan(plan(compiled, values, environ), output_format))
        return EXIT_OK
    assert store is not None
    recorder = RunRecorder(store, run_id, workflow.name, list(workflow.nodes), policy.mask)
    path_text = str(path.resolve()).encode("utf-8", "backslashreplace").decode("utf-8")
    try:
        policy.authorize(workflow, run_id)
    except AccessDeniedError as e:  # refused before any node ran: recorded as a failed run
        recorder.begin(path_text, now_iso(), values, {}, resume, policy.user.id or None)
        refused = _refused(run_id, workflow, str(e))
        recorder.finish(refused)
        if output_format == "json":
            out(json.dumps(refused.to_dict(), indent=2))
        raise
    secrets = secrets_mod.resolve(workflow.secrets, environ)
    policy.redactor = Redactor(str(v) for v in secrets.values())
    set_redactor(policy.redactor.text)
    audit = {"user": policy.user.id or None, "run_id": run_id, "workflow": workflow.name}
    for name in secrets:
        policy.log("secret_accessed", **audit, secret=name)
    max_concurrency, timeout = runtime_settings(workflow, config)
    options = RunOptions(params=values, environ=environ, secrets=secrets,
                         timeout=timeout or policy.run_timeout, node_timeout=policy.node_timeout,
                         max_concurrency=policy.concurrency(max_concurrency),
                         prepared=prepared, run_id=run_id, restored=restored,
                         files=policy.files(workflow),
                         breakers=BreakerBook(lambda n: store.breaker(workflow.name, n),
                                              lambda n, s: store.save_breaker(workflow.name, n, s)))
    recorder.begin(path_text, now_iso(), values, node_hashes(compiled), resume, policy.user.id or None)
    policy.log("run_started", **audit, resumed_from=resume)
    types = {n: s.type for n, s in workflow.nodes.items()}
    hidden = frozenset(n for n, node in compiled.nodes.items() if node.fallback_only)
    display, live = _observers(types, hidden, json_log, verbose)
    options.observer = Observers(display, recorder, AuditObserver(policy, run_id, workflow.name)
                                 if policy.audit else None)
    if json_log is not None:
        json_log.log("run_started", params=policy.redactor.value(values), resumed_from=resume)
    try:
        result = _execute(compiled, options, policy, live, json_log)
    except (KeyboardInterrupt, KailashError) as e:
        why = "interrupted" if isinstance(e, KeyboardInterrupt) else str(e)
        recorder.interrupted(why)
        policy.log("run_finished", **audit, status="interrupted", error=why)
        if isinstance(e, KeyboardInterrupt):
            raise RunInterrupted(f"run {run_id} was interrupted and is recorded; continue it with: "
                                 f"kailash run {path} --resume {run_id}") from None
        raise
    recorder.finish(result)
    store.close()
    policy.log("run_finished", **audit, status=result.status, duration_ms=round(result.duration_ms, 3),
               error=result.error)
    if metrics_file is not None:
        metrics.write(result, metrics_file)
    _report(result, output_format, json_log, policy.mask)
    return EXIT_OK if result.succeeded else EXIT_FAILURE
