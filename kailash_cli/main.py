"""The command line: options are parsed here, work is done in ``commands``.

Heavy modules (jsonschema, networkx, ruamel, httpx) are imported inside the commands,
so ``kailash --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kailash_cli import __version__
from kailash_cli.cli_base import LazyGroup, OutputFormat, ProjectConfig, WorkflowArg, _run
from kailash_cli.commands.completion import run_ids, yaml_files
from kailash_cli.report.output import Output
from kailash_cli.report.usage import Command, usage_error


class Kailash(LazyGroup):
    """``kailash``: ``run`` is built with the app, the other commands when they are used."""

    #: the commands after run, in the order `kailash --help` lists them (groups after: typer's rule)
    lazy = {
        "validate": "kailash_cli.cli_check:validate",
        "check-deploy": "kailash_cli.cli_check:check_deploy",
        "graph": "kailash_cli.cli_project:graph",
        "nodes": "kailash_cli.cli_project:nodes",
        "schema": "kailash_cli.cli_project:schema",
        "health": "kailash_cli.cli_project:health",
        "serve": "kailash_cli.cli_project:serve",
        "init": "kailash_cli.cli_project:init",
        "secrets": "kailash_cli.cli_store:secrets_app",
        "audit": "kailash_cli.cli_store:audit_app",
        "runs": "kailash_cli.cli_store:runs_app",
        "dlq": "kailash_cli.cli_store:dlq_app",
    }


app = typer.Typer(
    name="kailash",
    help="Production workflows and their policy as YAML: validate in CI, run in-process.",
    no_args_is_help=True,
    cls=Kailash,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def _version(value: bool) -> None:
    if value:
        print(f"kailash {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks and details.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    log_format: Annotated[
        LogFormat | None,
        typer.Option(
            "--log-format",
            metavar="text|json",
            help="stderr as text, or one JSON object a line.  [env var: KAILASH_LOG_FORMAT]",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Global options (-v, -q, --log-format) go before or after the command name."""
    from kailash_cli.report.logs import log_format_of, trace_id

    try:
        chosen = log_format_of(log_format.value if log_format else None, os.environ)
    except ValueError as e:
        Output().err(f"error: {e}")
        raise typer.Exit(2) from None
    output = Output(log_format=chosen, verbose=verbose and not quiet, quiet=quiet)
    ctx.obj = output.bind(trace_id=trace_id(os.environ))


@app.command(cls=Command)
def run(
    ctx: typer.Context,
    workflow: WorkflowArg,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", metavar="KEY=VALUE", help="Set a param (repeatable).")
    ] = None,
    params_file: Annotated[
        Path | None,
        typer.Option(
            "--params-file",
            metavar="FILE",
            autocompletion=yaml_files,
            help="YAML or JSON file of params (- for stdin).",
        ),
    ] = None,
    config: ProjectConfig = None,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", metavar="text|json", help="Result format on stdout.")
    ] = OutputFormat.text,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and print the plan; execute nothing.")
    ] = False,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            metavar="RUN_ID",
            autocompletion=run_ids,
            help="Resume a failed or interrupted run: its succeeded nodes are not run again.",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            metavar="ID",
            envvar="KAILASH_USER",
            help="Run as this user of access_control (permissions, masking).",
        ),
    ] = None,
    metrics_file: Annotated[
        Path | None,
        typer.Option(
            "--metrics-file",
            metavar="PATH",
            help="Merge the run's metrics into this Prometheus textfile (atomically, under a lock).",
        ),
    ] = None,
    push_gateway: Annotated[
        str | None,
        typer.Option(
            "--push-gateway",
            metavar="URL",
            help="Push the run's metrics to this Prometheus Pushgateway (job=kailash, workflow=NAME).",
        ),
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            metavar="local|dask",
            help="Where node calls run (default: executor.type of the config, else local).",
        ),
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(
            "--dask-address",
            metavar="ADDRESS",
            help="Run on the Dask scheduler at ADDRESS (tcp://host:8786; implies --executor dask). "
            "--executor dask without it: executor.address, DASK_SCHEDULER_ADDRESS, else a LocalCluster.",
        ),
    ] = None,
) -> None:
    """Validate, compile and execute a workflow.

    Results go to stdout, progress and logs to stderr. Exit 0 succeeded, 1 failed, 2 could
    not start (usage, invalid workflow, bad params, missing env).
    """
    from kailash_cli.commands.run import run as run_command

    _run(
        ctx,
        lambda out: run_command(
            workflow,
            cli_params=param or [],
            params_file=params_file,
            config_path=config,
            output_format=output.value,
            dry_run=dry_run,
            resume=resume,
            user=user,
            metrics_file=metrics_file,
            push_gateway=push_gateway,
            output=out,
            executor=executor,
            dask_address=dask_address,
        ),
    )


def main(argv: list[str] | None = None) -> int:
    from kailash_cli.report.logs import global_options_first

    args = global_options_first(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=args, prog_name="kailash", standalone_mode=False)
    except SystemExit as e:  # shell completion answers and exits
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except typer.TyperException as e:  # the parser's errors: usage, bad values (typer vendors click)
        return _parser_error(e)
    except typer.Abort:  # pragma: no cover - typer's end of input at a prompt; kailash has no prompt
        Output().err("error: aborted")
        return 1
    return code if isinstance(code, int) else 0


def _parser_error(error: typer.TyperException) -> int:
    """A usage error in one line (``report/usage.py``); ``kailash`` alone shows the help."""
    from typer._click.exceptions import NoArgsIsHelpError  # typer is pinned: pyproject.toml

    if isinstance(error, NoArgsIsHelpError):
        error.show()
        return error.exit_code
    ctx = getattr(error, "ctx", None)
    root = ctx.find_root().obj if ctx is not None else None
    output = root if isinstance(root, Output) else Output()
    line = usage_error(error)
    if output.json_logs:
        output.event("usage_error", "error", message=line.removeprefix("error: "))
    else:
        output.err(line, "error")
    return int(getattr(error, "exit_code", 2))
