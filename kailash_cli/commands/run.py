"""``kailash run WORKFLOW``: validate, compile, execute; results on stdout."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kailash_cli.compile.validation import load_workflow
from kailash_cli.constants import EXIT_FAILURE, EXIT_OK, EXIT_TERMINATED
from kailash_cli.errors import AccessDeniedError, RunInterrupted, UsageError
from kailash_cli.load.config import unused_config_beside
from kailash_cli.load.params import read_params_file
from kailash_cli.load.yaml_io import is_stdin
from kailash_cli.model.result import RunResult
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline.run import config_of, plan_workflow, run_workflow
from kailash_cli.pipeline.setup import existing_store
from kailash_cli.pipeline.signals import StopOnSigterm
from kailash_cli.report.output import Output
from kailash_cli.report.progress import display
from kailash_cli.report.summary import STDOUT_LIMIT, summarised
from kailash_cli.security.redact import hide_url_passwords

if TYPE_CHECKING:
    from kailash_cli.commands.run_metrics import Publish


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
    push_gateway: str | None = None,
    environ: Mapping[str, str] | None = None,
    executor: str | None = None,
    dask_address: str | None = None,
) -> int:
    readers = [
        what
        for what, given in (("the workflow", path), ("--params-file", params_file), ("-c", config_path))
        if given is not None and is_stdin(given)
    ]
    if len(readers) > 1:
        both = "both" if len(readers) == 2 else "all"
        raise UsageError(f"{' and '.join(readers)} {both} read - (standard input); give one a file")
    workflow = _load(path, output)
    if metrics_file is not None:
        from kailash_cli.report.metrics_file import check_target

        check_target(metrics_file)
    if resume is not None:
        resume = _resumed_run(resume, config_path)
    given: dict[str, Any] = {"param_args": cli_params or [], "user": user, "environ": environ}
    given.update(params=read_params_file(params_file) if params_file else None, config=config_of(config_path))
    unused = unused_config_beside(path, given["config"])
    if (metrics_file or push_gateway) and given["config"].section("runtime").get(
        "enable_monitoring"
    ) is False:
        raise UsageError(
            "--metrics-file / --push-gateway: runtime.enable_monitoring is false in the config; "
            "drop the option or set enable_monitoring: true"
        )
    if push_gateway is not None:
        from kailash_cli.report.metrics_file import push_url_problem

        if problem := push_url_problem(push_gateway):
            raise UsageError(f"--push-gateway {hide_url_passwords(push_gateway)}: {problem}")
    if unused:
        _warner(output)(unused)
    if dry_run:
        if resume is not None:
            raise UsageError("--dry-run shows the plan of a new run; drop --resume")
        from kailash_cli.compile.plan import render_plan

        output.out(render_plan(plan_workflow(workflow, **given), output_format))
        return EXIT_OK
    if user:
        output.fields.setdefault("user", user)  # on every JSON log line of the run
    publish = _publisher(workflow, config_path, metrics_file, push_gateway, output)
    with StopOnSigterm(on_first=lambda: _stopping(output)) as stop:
        try:
            result = run_workflow(
                workflow, **given, resume=resume, observers=[display(output), *publish.observers],
                output=output, cancel=stop.cancel, executor=_executor(executor, dask_address),
            )  # fmt: skip
        except AccessDeniedError as e:
            if e.result is not None and output_format == "json":
                output.out(json.dumps(e.result.to_dict(), indent=2))
            raise
        except RunInterrupted as e:  # SIGTERM: exit 143; the partial record has its metrics
            if e.result is not None:
                publish(e.result)
                if output_format == "json":  # the partial document, "status": "interrupted"
                    output.out(json.dumps(e.result.to_dict(), indent=2, default=str))
            if stop.received:
                e.exit_code = EXIT_TERMINATED
            raise
        publish(result)
    _report(result, output_format, output)
    return EXIT_OK if result.succeeded else EXIT_FAILURE


def _executor(kind: str | None, address: str | None) -> dict[str, str | None] | None:
    """``--executor`` and ``--dask-address`` (which implies dask); None: the config decides."""
    if kind is None and address is None:
        return None
    return {"type": kind or "dask", "address": address}


def _stopping(output: Output) -> None:
    """Said once, when the first SIGTERM arrives."""
    message = "SIGTERM: stopping; no new node starts, running ones get runtime.shutdown_grace seconds"
    if output.json_logs:
        output.event("stopping", "warning", message=message, signal="SIGTERM")
    else:
        output.err(f"{message} (send SIGTERM again or press Ctrl-C to stop at once)", "warning")


class _NoMetrics:
    """No --metrics-file, no --push-gateway: nothing observed, nothing published."""

    observers: tuple[Any, ...] = ()

    def __call__(self, result: RunResult) -> None:
        pass


def _publisher(
    workflow: Workflow, config_path: Path | None, target: Path | None, gateway: str | None, output: Output
) -> _NoMetrics | Publish:
    """What publishes the run's metrics (``run_metrics.py``, imported only when asked for)."""
    if target is None and gateway is None:
        return _NoMetrics()
    from kailash_cli.commands.run_metrics import Publish

    return Publish(workflow, config_path, target, gateway, _warner(output))


def _warner(output: Output) -> Callable[[str], None]:
    def warn(text: str) -> None:
        if output.json_logs:
            output.event("warning", "warning", message=text.removeprefix("warning: "))
        else:
            output.err(text, "warning")

    return warn


def _resumed_run(given: str, config_path: Path | None) -> str:
    """``--resume`` takes a unique prefix of the run id, as ``runs show`` does."""
    from kailash_cli.commands.runs import full_run_id

    with existing_store(config_path) as store:
        return full_run_id(store, given) if store else given


def _load(path: Path, output: Output) -> Workflow:  # warnings on stderr; errors raise
    workflow, warnings = load_workflow(path)
    for warning in warnings:
        output.finding(warning)
    return workflow


def _report(result: RunResult, output_format: str, output: Output) -> None:
    # text: a huge value as a summary (report/summary.py); --output json has everything
    document = result.to_dict() if output_format == "json" else summarised(result.outputs, STDOUT_LIMIT)
    output.out(json.dumps(document, indent=2, default=str))
    if document is not result.outputs and output_format != "json":
        output.note("note: values over 1 MB are summarised; `--output json` prints them whole")
    if output.json_logs:
        return  # the display logged run_finished
    if result.error:
        output.err(f"error: {result.error}", "error")
    if output_format != "json":
        detail = ", ".join(f"{n} {s}" for s, n in result.counts().items())
        output.note(f"run {result.run_id} {result.status} in {result.duration_ms:.0f} ms ({detail})")
