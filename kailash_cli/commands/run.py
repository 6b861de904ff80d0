"""``kailash run WORKFLOW``: validate, compile, execute; results on stdout."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kailash_cli import params as params_mod
from kailash_cli import secrets as secrets_mod
from kailash_cli.compiler import CompiledGraph, compile
from kailash_cli.config import Config, load_config
from kailash_cli.console import err, node_output_to_stderr, out, stderr_is_terminal
from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.engine import CURRENT_NODE, RunOptions
from kailash_cli.engine import run as run_graph
from kailash_cli.errors import KailashError, UsageError
from kailash_cli.model import Workflow
from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.plan import plan, render_plan
from kailash_cli.progress import JsonLogObserver, LineObserver, LiveObserver
from kailash_cli.reporter import text_line
from kailash_cli.result import RunResult
from kailash_cli.validation import load_workflow

DEFAULT_MAX_CONCURRENCY = 16


def _env_needed(workflow: Workflow) -> list[str]:
    from kailash_cli.expressions import templates_in

    names = list(workflow.env)
    for spec in workflow.nodes.values():
        for template in templates_in([NODE_TYPES[spec.type].templated(spec.config), spec.when]):
            for expr in template.exprs:
                for ref in expr.refs:
                    if ref[0] == "env" and len(ref) > 1:
                        names.append(ref[1])
                    elif ref[0].isupper():
                        names.append(ref[0])
    return list(dict.fromkeys(names))


def check_environment(workflow: Workflow, environ: Mapping[str, str]) -> None:
    missing = [name for name in _env_needed(workflow) if name not in environ]
    if missing:
        raise UsageError(f"missing environment variable(s): {', '.join(missing)}; "
                         "export them before the run (the workflow needs them)")


def prepare(compiled: CompiledGraph) -> dict[str, Any]:
    """Work each node type does before anything runs (e.g. importing functions)."""
    prepared, errors = {}, []
    for node_id, node in compiled.nodes.items():
        try:
            prepared[node_id] = node.node_type.prepare(node.spec, compiled.workflow.base_dir)
        except KailashError as e:
            errors.append(f"node '{node_id}': {e}")
    if errors:
        raise UsageError("\n".join(errors))
    return prepared


def _settings(workflow: Workflow, config: Config) -> tuple[int, float | None]:
    runtime = {**config.section("runtime"), **workflow.runtime}
    return int(runtime.get("max_concurrency", DEFAULT_MAX_CONCURRENCY)), runtime.get("timeout")


def _report(result: RunResult, output_format: str, json_log: JsonLogObserver | None = None) -> None:
    if output_format == "json":
        out(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        out(json.dumps(result.outputs, indent=2, default=str))
    counts: dict[str, int] = {}
    for node in result.nodes.values():
        counts[node.status] = counts.get(node.status, 0) + 1
    if json_log is not None:
        json_log.log("run_finished", "info" if result.succeeded else "error", status=result.status,
                     duration_ms=round(result.duration_ms, 3), nodes=counts)
    elif output_format != "json":
        detail = ", ".join(f"{n} {s}" for s, n in counts.items())
        err(f"run {result.run_id} {result.status} in {result.duration_ms:.0f} ms ({detail})")


def run(path: Path, *, cli_params: list[str] | None = None, params_file: Path | None = None,
        config_path: Path | None = None, output_format: str = "text", dry_run: bool = False,
        log_format: str = "text", verbose: bool = False,
        environ: Mapping[str, str] | None = None) -> int:
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
    file_values = params_mod.read_params_file(params_file) if params_file else {}
    values = params_mod.resolve(workflow.params, cli_params or [], file_values)
    check_environment(workflow, environ)
    compiled = compile(workflow)
    if dry_run:
        out(render_plan(plan(compiled, values, environ), output_format))
        return EXIT_OK
    secrets = secrets_mod.resolve(workflow.secrets, environ)
    prepared = prepare(compiled)
    max_concurrency, timeout = _settings(workflow, config)
    options = RunOptions(params=values, environ=environ, secrets=secrets, timeout=timeout,
                         max_concurrency=max_concurrency, prepared=prepared,
                         run_id=run_id)
    types = {n: s.type for n, s in workflow.nodes.items()}
    with node_output_to_stderr(CURRENT_NODE, json_log.node_output if json_log else None) as real_stdout:
        if json_log is not None:
            options.observer = json_log
            json_log.log("run_started", params=values)
            result = run_graph(compiled, options)
        elif stderr_is_terminal():
            with LiveObserver(types) as live:
                options.observer = live
                result = run_graph(compiled, options)
        else:
            options.observer = LineObserver(types, verbose)
            result = run_graph(compiled, options)
    assert real_stdout is not None
    _report(result, output_format, json_log)
    return EXIT_OK if result.succeeded else EXIT_FAILURE
