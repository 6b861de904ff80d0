"""The store's command groups: ``kailash secrets``, ``audit``, ``runs`` and ``dlq`` (the work
is done in ``commands``; ``main`` adds the groups to the ``kailash`` command)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kailash_cli.cli_base import ConfigOption, OutputFormat, OutputOption, _run
from kailash_cli.commands.completion import run_ids
from kailash_cli.report.usage import Command, Group

secrets_app = typer.Typer(
    cls=Group,
    name="secrets",
    no_args_is_help=True,
    help="Credentials in the OS keyring; values are never shown.",
)
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


runs_app = typer.Typer(
    cls=Group,
    name="runs",
    subcommand_metavar="[COMMAND [ARGS]...]",
    help="Run history from the store.",
)


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
