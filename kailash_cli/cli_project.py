"""``kailash graph``, ``nodes``, ``schema``, ``health``, ``serve`` and ``init``: options parsed
here, work done in ``commands``; ``main`` registers them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kailash_cli.cli_base import OutputFormat, ProjectConfig, WorkflowArg, _run
from kailash_cli.commands.completion import node_types
from kailash_cli.report.graph import RENDERERS

#: the --format choices of graph: one per renderer
GraphFormat = StrEnum("GraphFormat", {name: name for name in RENDERERS})  # type: ignore[misc]


class SchemaKind(StrEnum):
    workflow = "workflow"
    config = "config"


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
