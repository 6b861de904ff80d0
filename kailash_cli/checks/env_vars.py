"""KD2xx: the deployment environment has every variable, real secrets and DEBUG off.

The environment is the process environment plus the ``--env-file`` files (dotenv syntax).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from kailash_cli.checks.base import Check, CheckFamily
from kailash_cli.checks.project import Project
from kailash_cli.checks.secret_names import is_placeholder, is_reference, is_secret_name
from kailash_cli.model.result import Problem

MISSING = Check(
    "KD201",
    "error",
    "required environment variable not set",
    "A variable listed in deploy.required_env or a workflow's env: that is unset stops the "
    "service or the run at start.",
    "set it in the deployment environment or in the --env-file",
)
PLACEHOLDER = Check(
    "KD202",
    "error",
    "secret variable holds a placeholder",
    "Values like 'changeme' or 'change-in-production' are public knowledge; a service started "
    "with one is open to anyone.",
    "generate a real value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'",
    sensitive=True,
)
SHORT = Check(
    "KD203",
    "warning",
    "secret variable shorter than 32 characters",
    "Short secrets (signing keys, tokens) can be brute-forced; 32 random characters is the usual minimum.",
    "use at least 32 random characters, e.g. secrets.token_urlsafe(48)",
    sensitive=True,
)
DEBUG = Check(
    "KD204",
    "error",
    "DEBUG is on",
    "Debug mode leaks stack traces, settings and sometimes an interactive console to users.",
    "set DEBUG=false (or remove it) for production",
)
CHECKS = (MISSING, PLACEHOLDER, SHORT, DEBUG)

_TRUE = frozenset({"1", "true", "yes", "on", "y"})
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Requirement:
    name: str
    file: str
    line: int | None
    column: int | None


def required(project: Project) -> list[Requirement]:
    """Variables the config and the workflows need, each where it is asked for (first place wins)."""
    found: dict[str, Requirement] = {}
    docs = ([project.config_doc] if project.config_doc else []) + project.workflows
    for doc in docs:
        is_config = doc is project.config_doc
        names = (
            project.section("deploy").get("required_env")
            if is_config
            else (doc.data.get("env") if isinstance(doc.data, dict) else None)
        )
        base = ("deploy", "required_env") if is_config else ("env",)
        if isinstance(names, dict):  # typed env: one with a default may be unset
            names = [
                n
                for n, d in names.items()
                if not isinstance(d, dict) or "default" not in d or d.get("required")
            ]
        for i, name in enumerate(names if isinstance(names, list) else []):
            if isinstance(name, str) and name not in found:
                key = isinstance(doc.data, dict) and isinstance(doc.data.get("env"), dict) and not is_config
                line, column = doc.position((*base, name) if key else (*base, i), key=key) or (None, None)
                found[name] = Requirement(name, doc.file, line, column)
    return list(found.values())


def is_debug_name(name: str) -> bool:
    upper = name.upper()
    return upper == "DEBUG" or upper.endswith("_DEBUG")


def run(project: Project) -> Iterator[Problem]:
    from_files = {e.key for e in project.env_entries if e.value}
    for req in required(project):
        value = project.environ.get(req.name, "")
        if not value and req.name not in from_files:
            yield MISSING.at(
                f"{req.name} is required but not set in the environment or an env file",
                req.file,
                req.line,
                req.column,
            )
        elif value and req.name not in from_files and is_secret_name(req.name):
            yield from _value(project, req.name, value, req.file, req.line, req.column, " (environment)")
    for entry in project.env_entries:
        file = project.display(entry.file)
        if is_secret_name(entry.key) and entry.value:
            yield from _value(project, entry.key, entry.value, file, entry.line, entry.column, "")
        if is_debug_name(entry.key) and entry.value.lower() in _TRUE:
            yield DEBUG.at(f"{entry.key}={entry.value} in the env file", file, entry.line, entry.column)
    if project.environ.get("DEBUG", "").lower() in _TRUE and project.config_doc:
        line, column = project.config_doc.position(("deploy",), key=True) or (1, 1)
        yield DEBUG.at(
            "DEBUG is on in the environment this check runs in", project.config_doc.file, line, column
        )
    yield from _debug_in_code(project)


def _value(
    project: Project, name: str, value: str, file: str, line: int | None, column: int | None, source: str
) -> Iterator[Problem]:
    if is_reference(value):
        return
    if is_placeholder(value):  # public knowledge: not worth a *** in the middle of other words
        yield PLACEHOLDER.at(
            f"{name}{source} holds a placeholder value, not a real secret", file, line, column
        )
        return
    project.sensitive_values.add(value)
    if len(value) < MIN_SECRET_LENGTH:
        yield SHORT.at(
            f"{name}{source} is {len(value)} characters long; secrets need at least {MIN_SECRET_LENGTH}",
            file,
            line,
            column,
        )


def _debug_in_code(project: Project) -> Iterator[Problem]:
    for path in project.production_files:
        tree = project.python_ast(path)
        if isinstance(tree, SyntaxError):
            continue
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and isinstance(stmt.value, ast.Constant)
                and stmt.value.value is True
                and any(isinstance(t, ast.Name) and t.id == "DEBUG" for t in stmt.targets)
            ):
                yield DEBUG.at(
                    "DEBUG = True in production code",
                    project.display(path),
                    stmt.lineno,
                    stmt.col_offset + 1,
                    fix="read it from the environment, off by default",
                )


FAMILY = CheckFamily("KD2", "Environment", CHECKS, run)
