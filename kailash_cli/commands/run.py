"""``kailash run WORKFLOW``: validate, compile, execute; results on stdout."""

from __future__ import annotations

import _thread
import contextlib
import json
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kailash_cli import metrics
from kailash_cli import params as params_mod
from kailash_cli import secrets as secrets_mod
from kailash_cli.compiler import CompiledGraph, compile
from kailash_cli.config import load_config
from kailash_cli.console import err, node_output_to_stderr, out, set_redactor, stderr_is_terminal
from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.engine import CURRENT_NODE, RunOptions
from kailash_cli.engine import run as run_graph
from kailash_cli.errors import KailashError, UsageError
from kailash_cli.launch import (
    check_environment,
    node_hashes,
    prepare,
    resume_state,
    runtime_settings,
    store_path,
)
from kailash_cli.model import Workflow
from kailash_cli.plan import plan, render_plan
from kailash_cli.policy import AuditObserver, CommandGuard, RunPolicy
from kailash_cli.progress import JsonLogObserver, LineObserver, LiveObserver
from kailash_cli.recorder import Observers, RunRecorder
from kailash_cli.reporter import text_line
from kailash_cli.resilience import BreakerBook
from kailash_cli.result import RunResult
from kailash_cli.security.redact import Redactor
from kailash_cli.store import Store, now_iso
from kailash_cli.validation import load_workflow


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
                     duration_ms=round(result.duration_ms, 3), nodes=counts)
    elif output_format != "json":
        detail = ", ".join(f"{n} {s}" for s, n in counts.items())
        err(f"run {result.run_id} {result.status} in {result.duration_ms:.0f} ms ({detail})")


def _observers(types: dict[str, str], json_log: JsonLogObserver | None,
               verbose: bool) -> tuple[Any, LiveObserver | None]:
    """What stderr shows: JSON lines, a live table on a terminal, else a line per node."""
    if json_log is not None:
        return json_log, None
    if stderr_is_terminal():
        live = LiveObserver(types)
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
            return run_graph(compiled, options)
    except KeyboardInterrupt:
        reason = watch.stop_reason() if watch is not None else None
        if reason:  # the watch interrupted the main thread
            raise KailashError(reason) from None
        raise
    finally:
        CommandGuard.uninstall()


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
    policy = RunPolicy.build(config, user)
    compiled = compile(workflow)
    store = None if dry_run else Store.open(store_path(config))
    values, restored = _values(workflow, compiled, store, resume, cli_params or [], params_file)
    check_environment(workflow, environ)
    if dry_run:
        out(render_plan(plan(compiled, values, environ), output_format))
        return EXIT_OK
    assert store is not None
    policy.authorize(workflow, run_id)
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
                         prepared=prepare(compiled), run_id=run_id, restored=restored,
                         files=policy.files(workflow),
                         breakers=BreakerBook(lambda n: store.breaker(workflow.name, n),
                                              lambda n, s: store.save_breaker(workflow.name, n, s)))
    recorder = RunRecorder(store, run_id, workflow.name, list(workflow.nodes), policy.mask)
    recorder.begin(str(path.resolve()), now_iso(), values, node_hashes(compiled), resume,
                   policy.user.id or None)
    policy.log("run_started", **audit, resumed_from=resume)
    types = {n: s.type for n, s in workflow.nodes.items()}
    display, live = _observers(types, json_log, verbose)
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
        raise
    recorder.finish(result)
    store.close()
    if metrics_file is not None:
        metrics.write(result, metrics_file)
    policy.log("run_finished", **audit, status=result.status, duration_ms=round(result.duration_ms, 3))
    _report(result, output_format, json_log, policy.mask)
    return EXIT_OK if result.succeeded else EXIT_FAILURE
