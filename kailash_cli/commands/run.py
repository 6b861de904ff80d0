"""``kailash run WORKFLOW``: validate, compile, execute; results on stdout."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kailash_cli.compile.plan import render_plan
from kailash_cli.compile.validation import load_workflow
from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.errors import AccessDeniedError, UsageError
from kailash_cli.load.params import read_params_file
from kailash_cli.model.result import RunResult
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline.run import config_of, plan_workflow, run_workflow
from kailash_cli.report import metrics
from kailash_cli.report.output import Output
from kailash_cli.report.progress import display


def run(
    path: Path,
    *,
    output: Output,
    cli_params: list[str] | None = None,
    params_file: Path | None = None,
    config_path: Path | None = None,
    output_format: str = "text",
    dry_run: bool = False,
    resume: str | None = None,
    user: str | None = None,
    metrics_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    workflow = _load(path, output)
    if metrics_file is not None:
        metrics.check_target(metrics_file)
    given: dict[str, Any] = {"param_args": cli_params or [], "user": user, "environ": environ}
    given.update(params=read_params_file(params_file) if params_file else None, config=config_of(config_path))
    if dry_run:
        if resume is not None:
            raise UsageError("--dry-run shows the plan of a new run; drop --resume")
        output.out(render_plan(plan_workflow(workflow, **given), output_format))
        return EXIT_OK
    try:
        result = run_workflow(workflow, **given, resume=resume, observers=[display(output)], output=output)
    except AccessDeniedError as e:
        if e.result is not None and output_format == "json":
            output.out(json.dumps(e.result.to_dict(), indent=2))
        raise
    if metrics_file is not None:
        metrics.write(result, metrics_file)
    _report(result, output_format, output)
    return EXIT_OK if result.succeeded else EXIT_FAILURE


def _load(path: Path, output: Output) -> Workflow:  # warnings on stderr; errors raise
    workflow, warnings = load_workflow(path)
    for warning in warnings:
        output.finding(warning)
    return workflow


def _report(result: RunResult, output_format: str, output: Output) -> None:
    document = result.to_dict() if output_format == "json" else result.outputs
    output.out(json.dumps(document, indent=2, default=str))
    if output.json_logs:
        return  # the display logged run_finished
    if result.error:
        output.err(f"error: {result.error}")
    if output_format != "json":
        detail = ", ".join(f"{n} {s}" for s, n in result.counts().items())
        output.err(f"run {result.run_id} {result.status} in {result.duration_ms:.0f} ms ({detail})")
