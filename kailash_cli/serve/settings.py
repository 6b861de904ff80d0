"""What ``kailash serve`` serves and how: the ``serve:`` config section and the workflows."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from kailash_cli.compile.validation import load_workflow
from kailash_cli.errors import UsageError, WorkflowValidationError
from kailash_cli.load.config import Config
from kailash_cli.load.discovery import is_config_file, kailash_files
from kailash_cli.model.result import Problem, has_errors
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline.setup import store_path
from kailash_cli.security.limits import parse_duration, parse_size
from kailash_cli.serve.auth import TokenBook, token_book, token_variables

DEFAULT_MAX_BODY = 1_000_000
DEFAULT_MAX_CONCURRENCY = 8
DEFAULT_GRACE_PERIOD = 30.0
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Settings:
    """Everything a server needs, read and checked once at start-up."""

    config: Config
    folder: Path
    workflows: dict[str, Workflow]
    tokens: TokenBook
    environ: dict[str, str]  # what runs see: the process's, token variables taken out
    max_body: int = DEFAULT_MAX_BODY
    cors_origins: tuple[str, ...] = ()
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    grace_period: float = DEFAULT_GRACE_PERIOD
    trusted_proxies: tuple[Network, ...] = ()

    @property
    def store(self) -> Path:
        return store_path(self.config)


def load_settings(
    config: Config, directory: Path | None, environ: Mapping[str, str]
) -> tuple[Settings, list[Problem]]:
    """The settings, and the warnings of the workflows; UsageError or WorkflowValidationError
    (every finding of every workflow at once) when the server cannot start."""
    serve = config.section("serve")
    folder = directory if directory is not None else config.base_dir / str(serve.get("workflows", "."))
    workflows, warnings = load_workflows(folder)
    users = config.section("access_control").get("users") or {}
    tokens = token_book(serve, environ, users)
    hidden = token_variables(serve)
    settings = Settings(
        config=config,
        folder=folder,
        workflows=workflows,
        tokens=tokens,
        environ={k: v for k, v in environ.items() if k not in hidden},
        max_body=int(_checked("serve.max_body", parse_size, serve.get("max_body", DEFAULT_MAX_BODY))),
        cors_origins=tuple(serve.get("cors_origins") or ()),
        max_concurrency=int(serve.get("max_concurrency", DEFAULT_MAX_CONCURRENCY)),
        grace_period=_checked("serve.grace_period", parse_duration, serve.get("grace_period", 30)),
        trusted_proxies=tuple(_network(p) for p in serve.get("trusted_proxies") or ()),
    )
    return settings, warnings


def withdraw_tokens(config: Config, environ: MutableMapping[str, str]) -> None:
    """Take the token variables out of ``environ`` (the process's, once the tokens are read):
    node code and the processes it starts cannot read them; the values live on only in the
    ``TokenBook``, and are redacted from what runs show and store."""
    for name in token_variables(config.section("serve")):
        environ.pop(name, None)


def _checked(key: str, parse: object, value: object) -> float | int:
    try:
        return parse(value)  # type: ignore[operator,no-any-return]
    except ValueError as e:
        raise UsageError(f"{key}: {e}") from None


def _network(text: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise UsageError(
            f"serve.trusted_proxies: '{text}' is not an IP address or network; write e.g. 10.0.0.0/8"
        ) from None


def load_workflows(folder: Path) -> tuple[dict[str, Workflow], list[Problem]]:
    """The workflows under ``folder`` by name; an invalid one refuses the start with its findings."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder; give the folder of the workflows to serve")
    workflows: dict[str, Workflow] = {}
    problems: list[Problem] = []
    where: dict[str, Path] = {}
    for path in kailash_files(folder):
        if is_config_file(path):
            continue
        try:
            workflow, found = load_workflow(path)
        except WorkflowValidationError as e:
            problems.extend(e.problems)
            continue
        problems.extend(found)
        if workflow.name in where:
            raise UsageError(
                f"{path}: workflow name '{workflow.name}' is also the name of {where[workflow.name]}; "
                "each workflow served needs its own name"
            )
        workflows[workflow.name], where[workflow.name] = workflow, path
    if has_errors(problems):
        raise WorkflowValidationError(tuple(problems), what=f"the workflows in {folder}")
    if not workflows:
        raise UsageError(f"{folder}: no workflow to serve; give the folder that holds them")
    return workflows, problems
