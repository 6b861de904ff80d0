"""What the command-line modules share: the invocation's output, how a command is called
(its exit code ends the invocation), the option types several commands take, and the root
group that builds a command's parser only when that command is used."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from kailash_cli.commands.completion import yaml_files
from kailash_cli.error_handler import handle
from kailash_cli.load.gcpause import start_up_done
from kailash_cli.report.output import Output
from kailash_cli.report.usage import Command, Group


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
    start_up_done()  # the collector back on (entry.py paused it while modules loaded)
    raise typer.Exit(handle(lambda: command(output), output))


def config_option(help: str) -> Any:
    """``-c/--config CONFIG``, completed with YAML files; ``help`` says what it is for."""
    return typer.Option("--config", "-c", metavar="CONFIG", autocompletion=yaml_files, help=help)


ConfigOption = Annotated[
    Path | None, config_option("Project config whose runtime.store to read (default ./kailash.yaml).")
]
OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", metavar="text|json", help="Output format.")
]
ProjectConfig = Annotated[Path | None, config_option("Project config (default ./kailash.yaml).")]
WorkflowArg = Annotated[
    Path,
    typer.Argument(
        metavar="WORKFLOW",
        autocompletion=yaml_files,
        help="Workflow YAML file (- for stdin).",
        show_default=False,
    ),
]


class LazyGroup(Group):
    """The root group: the commands of :attr:`lazy` (name -> ``module:attribute``, a command
    function or a typer group) are imported and their parsers built when first looked up,
    so ``kailash run`` builds one parser, not the parsers of every command. Help and
    completion list every name (and build what they show)."""

    lazy: dict[str, str] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _LazyCommands(self.commands, self.lazy)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # names only: typer's would build every command


class _LazyCommands(MutableMapping[str, Any]):
    """Built commands plus the names still to build, in the order help lists them."""

    def __init__(self, built: MutableMapping[str, Any], lazy: dict[str, str]) -> None:
        self._built = dict(built)
        self._lazy = {name: target for name, target in lazy.items() if name not in built}
        self._order = [*self._built, *self._lazy]

    def __getitem__(self, name: str) -> Any:
        if name not in self._built and name in self._lazy:
            self._built[name] = _build(name, self._lazy[name])
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._order += [] if name in self else [name]
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._order.remove(name)
        self._lazy.pop(name, None)
        self._built.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)


def _build(name: str, target: str) -> Any:
    """The click command typer would have made of ``app.command(name)(function)`` or
    ``app.add_typer(group, name=name)`` (typer is pinned: pyproject.toml)."""
    from typer.main import get_command_from_info, get_group_from_info
    from typer.models import CommandInfo, TyperInfo

    module, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        info = TyperInfo(found, name=name)
        return get_group_from_info(
            info, pretty_exceptions_short=True, suggest_commands=True, rich_markup_mode=None
        )
    command = CommandInfo(name=name, cls=Command, callback=found)
    return get_command_from_info(command, pretty_exceptions_short=True, rich_markup_mode=None)
