"""What the command-line modules share: the invocation's output, how a command is called
(its exit code ends the invocation), and the option types several commands take."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kailash_cli.commands.completion import yaml_files
from kailash_cli.error_handler import handle
from kailash_cli.report.output import Output


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _output(ctx: typer.Context) -> Output:
    """The invocation's output, made by the root callback."""
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, Output) else Output()


def _run(ctx: typer.Context, command: Callable[[Output], int]) -> None:
    """Call a command with the invocation's output; its exit code ends the invocation."""
    output = _output(ctx)
    raise typer.Exit(handle(lambda: command(output), output))


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
