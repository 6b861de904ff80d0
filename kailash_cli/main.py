"""The command line: options are parsed here, work is done in ``commands``.

Heavy modules (jsonschema, networkx, ruamel, httpx) are imported inside the commands,
so ``kailash --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kailash_cli import __version__
from kailash_cli.commands.completion import node_types, run_ids, yaml_files
from kailash_cli.error_handler import handle
from kailash_cli.report.findings import REPORTER_BY_NAME
from kailash_cli.report.graph import RENDERERS
from kailash_cli.report.output import Output
from kailash_cli.report.usage import Command, Group, usage_error

app = typer.Typer(
    name="kailash",
    help="Production workflows and their policy as YAML: validate in CI, run in-process.",
    no_args_is_help=True,
    cls=Group,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


#: the --format choices of validate and check-deploy: one per reporter
FindingFormat = StrEnum("FindingFormat", {name: name for name in REPORTER_BY_NAME})  # type: ignore[misc]


FINDING_FORMATS = "|".join(REPORTER_BY_NAME)

#: the --format choices of graph: one per renderer
GraphFormat = StrEnum("GraphFormat", {name: name for name in RENDERERS})  # type: ignore[misc]


class SchemaKind(StrEnum):
    workflow = "workflow"
    config = "config"


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


def _output(ctx: typer.Context) -> Output:
    """The invocation's output, made by the root callback."""
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, Output) else Output()


def _run(ctx: typer.Context, command: Callable[[Output], int]) -> None:
    """Call a command with the invocation's output; its exit code ends the invocation."""
    output = _output(ctx)
    raise typer.Exit(handle(lambda: command(output), output))


ProjectConfig = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="CONFIG",
        autocompletion=yaml_files,
        help="Project config (default ./kailash.yaml).",
    ),
]
WorkflowArg = Annotated[
    Path,
    typer.Argument(
        metavar="WORKFLOW",
        autocompletion=yaml_files,
        help="Workflow YAML file (- for stdin).",
        show_default=False,
    ),
]


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


@app.command(cls=Command)
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            autocompletion=yaml_files,
            help="Workflow or config files, or directories (- for stdin).",
            show_default=False,
        ),
    ],
    format_: Annotated[
        FindingFormat, typer.Option("--format", "-f", metavar=FINDING_FORMATS, help="Output format.")
    ] = FindingFormat("text"),
) -> None:
    """Check workflows and kailash.yaml files.

    JSON Schema plus semantic checks, every finding at once with its place and a fix;
    directories are searched. Exit 0 valid, 1 findings, 2 usage.
    """
    from kailash_cli.commands.validate import validate as validate_command

    _run(ctx, lambda out: validate_command(paths, output_format=format_.value, output=out))


@app.command("check-deploy", cls=Command)
def check_deploy(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(metavar="[DIR]", help="Project directory (default .).", show_default=False)
    ] = Path("."),
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            metavar="CONFIG",
            autocompletion=yaml_files,
            help="Project config (default DIR/kailash.yaml).",
        ),
    ] = None,
    env_file: Annotated[
        list[Path] | None,
        typer.Option("--env-file", metavar="FILE", help="Env file (dotenv syntax; repeatable)."),
    ] = None,
    format_: Annotated[
        FindingFormat, typer.Option("--format", "-f", metavar=FINDING_FORMATS, help="Output format.")
    ] = FindingFormat("text"),
    fail_level: Annotated[
        str,
        typer.Option(
            "--fail-level",
            metavar="info|warning|error",
            help="Lowest severity that fails (exit 1).",
            autocompletion=lambda incomplete: [
                s for s in ("info", "warning", "error") if s.startswith(incomplete)
            ],
        ),
    ] = "error",
    select: Annotated[
        list[str] | None,
        typer.Option("--select", metavar="IDS", help="Only these checks (ids or prefixes, comma-separated)."),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", metavar="IDS", help="Skip these checks (ids or prefixes).")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="Print the catalogue of checks and exit.")] = False,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", metavar="FILE", help="Accept the findings recorded in this file."),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option("--write-baseline", metavar="FILE", help="Record the current findings in this file."),
    ] = None,
    python: Annotated[
        Path | None,
        typer.Option(
            "--python",
            metavar="PATH",
            help="The project's interpreter: its installed packages resolve imports (default DIR/.venv).",
        ),
    ] = None,
) -> None:
    """Pre-deployment checklist over a project.

    Imports, environment, secrets, transport, dependencies, containers, config. Exit 0
    pass, 1 findings at or above the fail level, 2 usage.
    """
    from kailash_cli.commands.check_deploy import check_deploy as check_deploy_command

    _run(
        ctx,
        lambda out: check_deploy_command(
            directory,
            config_path=config,
            env_files=env_file or [],
            output_format=format_.value,
            fail_level=fail_level,
            select=select or [],
            ignore=ignore or [],
            list_checks=list_,
            baseline=baseline,
            write_baseline=write_baseline,
            python=python,
            output=out,
        ),
    )


@app.command(cls=Command)
def graph(
    ctx: typer.Context,
    workflow: WorkflowArg,
    format_: Annotated[
        GraphFormat, typer.Option("--format", "-f", metavar="|".join(RENDERERS), help="Output format.")
    ] = GraphFormat("mermaid"),
) -> None:
    """Print the compiled graph as mermaid, dot or ascii."""
    from kailash_cli.commands.graph import graph as graph_command

    _run(ctx, lambda out: graph_command(workflow, output_format=format_.value, output=out))


@app.command(cls=Command)
def nodes(
    ctx: typer.Context,
    type_: Annotated[
        str | None,
        typer.Argument(
            metavar="[TYPE]", autocompletion=node_types, help="A node type to show.", show_default=False
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", metavar="text|json", help="Output format.")
    ] = OutputFormat.text,
) -> None:
    """List the node types, or show one.

    With TYPE: its parameters, inputs, outputs and an example.
    """
    from kailash_cli.commands.nodes import nodes as nodes_command

    _run(ctx, lambda out: nodes_command(type_, output_format=output.value, output=out))


@app.command(cls=Command)
def schema(
    ctx: typer.Context,
    kind: Annotated[
        SchemaKind, typer.Argument(metavar="[workflow|config]", help="Which schema.", show_default=False)
    ] = SchemaKind.workflow,
    write: Annotated[
        bool, typer.Option("--write", help="Write both schemas into --dir for editors instead of printing.")
    ] = False,
    folder: Annotated[
        Path | None,
        typer.Option("--dir", metavar="DIR", help="Folder --write writes to (default .kailash/schemas)."),
    ] = None,
) -> None:
    """Print the JSON Schema of workflows or configs.

    For editors' YAML language servers and CI.
    """
    from kailash_cli.commands.schema import schema as schema_command

    _run(ctx, lambda out: schema_command(kind.value, write=write, folder=folder, output=out))


@app.command(cls=Command)
def health(
    ctx: typer.Context,
    config: ProjectConfig = None,
    output: Annotated[
        OutputFormat,
        typer.Option("--output", "-o", metavar="text|json", help="A table, or the JSON document."),
    ] = OutputFormat.text,
    check: Annotated[
        list[str] | None, typer.Option("--check", metavar="NAME", help="Run only this check (repeatable).")
    ] = None,
) -> None:
    """Run the config's health checks.

    In parallel, each with a timeout; a Kubernetes exec probe. Exit 0 healthy, 1 unhealthy.
    """
    from kailash_cli.commands.health import health as health_command

    _run(
        ctx,
        lambda out: health_command(config_path=config, output_format=output.value, checks=check, output=out),
    )


secrets_app = typer.Typer(
    cls=Group,
    name="secrets",
    no_args_is_help=True,
    help="Credentials in the OS keyring; values are never shown.",
)
app.add_typer(secrets_app, name="secrets")
SecretName = Annotated[str, typer.Argument(metavar="NAME", help="The secret's name.", show_default=False)]


@secrets_app.command("set", cls=Command)
def secrets_set(ctx: typer.Context, name: SecretName) -> None:
    """Store a secret; the value is read from stdin.

    On a terminal it is not echoed.
    """
    from kailash_cli.commands.secrets import secrets_set as command

    _run(ctx, lambda out: command(name, output=out))


@secrets_app.command("delete", cls=Command)
def secrets_delete(ctx: typer.Context, name: SecretName) -> None:
    """Delete a secret (exit 2 when there is none of that name)."""
    from kailash_cli.commands.secrets import secrets_delete as command

    _run(ctx, lambda out: command(name, output=out))


@secrets_app.command("list", cls=Command)
def secrets_list(ctx: typer.Context) -> None:
    """List the names of the stored secrets, never their values."""
    from kailash_cli.commands.secrets import secrets_list as command

    _run(ctx, lambda out: command(output=out))


audit_app = typer.Typer(cls=Group, name="audit", no_args_is_help=True, help="The audit log's hash chain.")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify", cls=Command)
def audit_verify(
    ctx: typer.Context,
    log: Annotated[
        Path | None,
        typer.Argument(metavar="LOG", help="Audit log (default .kailash/audit.jsonl).", show_default=False),
    ] = None,
) -> None:
    """Check the audit log's hash chain.

    Exit 0 intact, 1 tampered (names the first bad entry), 2 no log.
    """
    from kailash_cli.commands.audit import audit_verify as command

    _run(ctx, lambda out: command(log, output=out))


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="CONFIG",
        autocompletion=yaml_files,
        help="Project config whose runtime.store to read (default ./kailash.yaml).",
    ),
]
OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", metavar="text|json", help="Output format.")
]

runs_app = typer.Typer(
    cls=Group,
    name="runs",
    subcommand_metavar="[COMMAND [ARGS]...]",
    help="Run history from the store.",
)
app.add_typer(runs_app, name="runs")


WorkflowFilter = Annotated[
    str | None, typer.Option("--workflow", "-w", metavar="NAME", help="Only this workflow.")
]
StatusFilter = Annotated[
    str | None,
    typer.Option(
        "--status", "-s", metavar="STATUS", help="Only this status: succeeded, failed, interrupted, running."
    ),
]
LimitOption = Annotated[
    int, typer.Option("--limit", "-n", metavar="N", min=1, help="At most this many runs.")
]


def _list_runs(
    ctx: typer.Context,
    config: Path | None,
    output: OutputFormat,
    workflow: str | None,
    status: str | None,
    limit: int,
) -> None:
    from kailash_cli.commands.runs import list_runs

    _run(
        ctx,
        lambda out: list_runs(
            config_path=config,
            workflow=workflow,
            status=status,
            limit=limit,
            output_format=output.value,
            output=out,
        ),
    )


@runs_app.callback(invoke_without_command=True)
def runs_default(
    ctx: typer.Context,
    config: ConfigOption = None,
    output: OutputOption = OutputFormat.text,
    workflow: WorkflowFilter = None,
    status: StatusFilter = None,
    limit: LimitOption = 20,
) -> None:
    """Run history from the store, newest first (`kailash runs` = `kailash runs list`)."""
    if ctx.invoked_subcommand is None:
        _list_runs(ctx, config, output, workflow, status, limit)


@runs_app.command("list", cls=Command)
def runs_list(
    ctx: typer.Context,
    config: ConfigOption = None,
    output: OutputOption = OutputFormat.text,
    workflow: WorkflowFilter = None,
    status: StatusFilter = None,
    limit: LimitOption = 20,
) -> None:
    """List runs, newest first.

    Columns: run_id, workflow, status, started_at, duration_ms.
    """
    _list_runs(ctx, config, output, workflow, status, limit)


@runs_app.command("show", cls=Command)
def runs_show(
    ctx: typer.Context,
    run_id: Annotated[
        str, typer.Argument(metavar="RUN_ID", autocompletion=run_ids, help="Run id or a unique prefix of it.")
    ],
    config: ConfigOption = None,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Show one run.

    RUN_ID may be a unique prefix. With -o json: the `run --output json` document. Exit 2
    for an unknown or ambiguous id.
    """
    from kailash_cli.commands.runs import show_run

    _run(ctx, lambda out: show_run(run_id, config_path=config, output_format=output.value, output=out))


dlq_app = typer.Typer(
    cls=Group,
    name="dlq",
    subcommand_metavar="[COMMAND [ARGS]...]",
    help="Dead letters: node calls that failed for good.",
)
app.add_typer(dlq_app, name="dlq")


@dlq_app.callback(invoke_without_command=True)
def dlq_default(
    ctx: typer.Context, config: ConfigOption = None, output: OutputOption = OutputFormat.text
) -> None:
    """Dead letters, newest first (`kailash dlq` = `kailash dlq list`)."""
    if ctx.invoked_subcommand is None:
        from kailash_cli.commands.dlq import list_letters

        _run(ctx, lambda out: list_letters(config_path=config, output_format=output.value, output=out))


@dlq_app.command("list", cls=Command)
def dlq_list(
    ctx: typer.Context,
    config: ConfigOption = None,
    output: OutputOption = OutputFormat.text,
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", min=1, help="At most this many.")] = 50,
) -> None:
    """List dead letters, newest first.

    Columns: id, run, workflow, node, attempts, error.
    """
    from kailash_cli.commands.dlq import list_letters

    _run(
        ctx, lambda out: list_letters(config_path=config, limit=limit, output_format=output.value, output=out)
    )


@dlq_app.command("show", cls=Command)
def dlq_show(
    ctx: typer.Context,
    letter_id: Annotated[str, typer.Argument(metavar="ID", show_default=False)],
    config: ConfigOption = None,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Show one dead letter.

    Its (redacted) inputs and error. Exit 2 for an unknown id.
    """
    from kailash_cli.commands.dlq import show_letter

    _run(ctx, lambda out: show_letter(letter_id, config_path=config, output_format=output.value, output=out))


@dlq_app.command("replay", cls=Command)
def dlq_replay(
    ctx: typer.Context,
    letter_id: Annotated[str, typer.Argument(metavar="ID", show_default=False)],
    config: ConfigOption = None,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Run a dead letter's node again.

    With its recorded inputs, as a new run. Exit 0, or 2 if it fails.
    """
    from kailash_cli.commands.dlq import replay_letter

    _run(
        ctx, lambda out: replay_letter(letter_id, config_path=config, output_format=output.value, output=out)
    )


@dlq_app.command("clear", cls=Command)
def dlq_clear(
    ctx: typer.Context,
    node: Annotated[
        str | None, typer.Option("--node", metavar="NODE", help="Only this node's dead letters.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Delete dead letters: all, or one node's."""
    from kailash_cli.commands.dlq import clear_letters

    _run(ctx, lambda out: clear_letters(node_id=node, config_path=config, output=out))


@app.command(cls=Command)
def serve(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="[DIR]",
            help="Folder of the workflows (default: serve.workflows, else .).",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", min=0, max=65535, help="Port (0: any free one).")
    ] = 8000,
    config: ProjectConfig = None,
) -> None:
    """Serve the workflows of DIR over HTTP.

    Needs the serve extra. SIGTERM drains and exits 0.
    """
    from kailash_cli.commands.serve import serve as serve_command

    _run(
        ctx,
        lambda out: serve_command(directory, host=host, port=port, config_path=config, output=out),
    )


@app.command(cls=Command)
def init(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(metavar="[DIR]", help="A new or empty folder (default .).", show_default=False)
    ] = Path("."),
) -> None:
    """Scaffold a new project.

    kailash.yaml, a workflow and its sample data, a Dockerfile, a Kubernetes CronJob,
    pre-commit and GitHub workflow configs; all pass validate and check-deploy. Exit 2 if
    DIR is not empty.
    """
    from kailash_cli.commands.init import init as init_command

    _run(ctx, lambda out: init_command(directory, output=out))


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
