"""``kailash validate`` and ``kailash check-deploy``: options parsed here, work done in
``commands``; ``main`` registers them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kailash_cli.cli_base import _run, config_option
from kailash_cli.commands.completion import yaml_files
from kailash_cli.report.findings import REPORTER_BY_NAME

#: the --format choices of validate and check-deploy: one per reporter
FindingFormat = StrEnum("FindingFormat", {name: name for name in REPORTER_BY_NAME})  # type: ignore[misc]


FINDING_FORMATS = "|".join(REPORTER_BY_NAME)


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


def check_deploy(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(metavar="[DIR]", help="Project directory (default .).", show_default=False)
    ] = Path("."),
    config: Annotated[Path | None, config_option("Project config (default DIR/kailash.yaml).")] = None,
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
