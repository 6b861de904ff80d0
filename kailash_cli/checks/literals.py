"""Every string value of the project with its place and the name it is assigned to.

The secrets and transport checks read these instead of raw text, so a comment or a docstring
is not a finding and ``password = "..."`` knows its name. Sources: Python string constants
(production code), YAML scalars, env files, Dockerfile instructions and the lines of other
text files (``key = value`` lines keep their key).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kailash_cli.checks.env_files import parse_env
from kailash_cli.checks.file_kinds import is_dockerfile, is_env_file, is_systemd_unit
from kailash_cli.checks.project import Project
from kailash_cli.checks.python_strings import python_strings
from kailash_cli.checks.systemd_units import directives, systemd_environment
from kailash_cli.checks.yaml_nodes import pos, scalar
from kailash_cli.load.discovery import is_test_path


@dataclass(frozen=True)
class Literal:
    file: Path
    line: int
    column: int
    value: str
    name: str | None  # the variable, key or argument it is assigned to
    kind: str  # python | yaml | env | docker | systemd | text
    #: the default of a lookup (``os.environ.get("JWT_SECRET", "<this>")``): used when unset
    fallback: bool = False


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str  # upper case
    args: str
    column: int  # of args


def dockerfile_instructions(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and parser directives dropped."""
    found: list[Instruction] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        start, raw = index, lines[index]
        index += 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        while raw.rstrip().endswith("\\") and index < len(lines):
            nxt = lines[index]
            index += 1
            if not nxt.lstrip().startswith("#"):
                raw = raw.rstrip()[:-1].rstrip() + " " + nxt.strip()
        match = re.match(r"\s*([A-Za-z]+)\s*(.*)$", raw)
        if match:
            found.append(
                Instruction(start + 1, match.group(1).upper(), match.group(2).strip(), match.start(2) + 1)
            )
    return found


def env_pairs(args: str) -> list[tuple[str, str]]:
    """``ENV``/``ARG`` arguments: ``K=V K2="V 2"`` or the legacy ``K V`` form (a bare ``ENV``: none)."""
    if not args.strip():
        return []
    if "=" not in args.split(None, 1)[0]:
        parts = args.split(None, 1)
        return [(parts[0], parts[1].strip() if len(parts) > 1 else "")] if parts else []
    pairs = []
    for match in re.finditer(r"([A-Za-z_][A-Za-z0-9_.-]*)(?:=(\"(?:[^\"\\]|\\.)*\"|'[^']*'|\S*))?", args):
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        pairs.append((match.group(1), value))
    return pairs


def literals(project: Project, *, include_env_files: bool = False) -> list[Literal]:
    """Strings of every non-test text file; the ``--env-file`` files only when asked for (cached)."""
    if "literals" not in project.cache:
        project.cache["literals"] = list(_literals(project))
    found: list[Literal] = project.cache["literals"]
    if include_env_files:
        found = found + [
            Literal(e.file, e.line, e.column, e.value, e.key, "env") for e in project.env_entries
        ]
    return found


def _literals(project: Project) -> Iterator[Literal]:
    for path in project.text_files:
        if is_test_path(path.relative_to(project.root)) or project.is_env_file_given(path):
            continue
        if path.suffix == ".py":
            yield from _python(project, path)
        elif path.suffix in (".yaml", ".yml"):
            yield from _yaml(project, path)
        elif is_env_file(path):
            for e in parse_env(project.text(path) or "", path):
                yield Literal(path, e.line, e.column, e.value, e.key, "env")
        elif is_dockerfile(path):
            yield from _dockerfile(project, path)
        elif is_systemd_unit(path):
            yield from _systemd(project, path)
        else:
            yield from _text(project, path)


def _python(project: Project, path: Path) -> Iterator[Literal]:
    tree = project.python_ast(path)
    if not isinstance(tree, SyntaxError):
        for line, column, value, name, fallback in python_strings(tree):
            yield Literal(path, line, column, value, name, "python", fallback)


def _yaml(project: Project, path: Path) -> Iterator[Literal]:
    seen: set[int] = set()  # an alias is its anchor's node again: each is read once (no laughs)
    for doc in project.yaml_documents(path) or []:
        yield from _yaml_node(path, doc, None, seen)


def _yaml_node(path: Path, node: Node, name: str | None, seen: set[int]) -> Iterator[Literal]:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, ScalarNode):
        if str(node.tag).endswith((":str", ":binary")):
            line, column = pos(node)
            yield Literal(path, line, column, str(node.value), name, "yaml")
    elif isinstance(node, SequenceNode):
        for item in node.value:
            assignment = _ASSIGNMENT.match(str(item.value)) if isinstance(item, ScalarNode) else None
            if assignment:  # compose's list-form environment: - API_TOKEN=...
                line, column = pos(item)
                value = assignment.group(2)
                yield Literal(
                    path, line, column + len(assignment.group(1)) + 1, value, assignment.group(1), "yaml"
                )
            else:
                yield from _yaml_node(path, item, name, seen)
    elif isinstance(node, MappingNode):
        keys = {scalar(k): v for k, v in node.value if isinstance(k, ScalarNode)}
        env_name = scalar(keys.get("name")) if "value" in keys else None  # Kubernetes env entries
        for key_node, value_node in node.value:
            key = scalar(key_node)
            yield from _yaml_node(path, value_node, env_name if key == "value" and env_name else key, seen)


_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


def _systemd(project: Project, path: Path) -> Iterator[Literal]:
    """``Environment=`` assignments by variable name, every other directive by its own name
    (``ExecStart=curl http://...`` is an endpoint all the same)."""
    lines = project.lines(path)
    for line, column, key, value in systemd_environment(lines):
        yield Literal(path, line, column, value, key, "systemd")
    for line, column, _, key, value in directives(lines):
        if key != "Environment":
            yield Literal(path, line, column, value, key, "systemd")


def _dockerfile(project: Project, path: Path) -> Iterator[Literal]:
    for ins in dockerfile_instructions(project.text(path) or ""):
        if ins.keyword in ("ENV", "ARG"):
            for key, value in env_pairs(ins.args):
                yield Literal(path, ins.line, ins.column, value, key, "docker")
        else:
            yield Literal(path, ins.line, ins.column, ins.args, None, "docker")


_KEY_VALUE = re.compile(
    r"""^\s*["']?([A-Za-z_][\w.-]*)["']?\s*[=:]\s*["']?([^"'#\s][^"'#]*?)["']?\s*,?\s*$"""
)


def _text(project: Project, path: Path) -> Iterator[Literal]:
    for index, line in enumerate(project.lines(path)):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//", ";")):
            continue
        match = _KEY_VALUE.match(line)
        if match:
            yield Literal(path, index + 1, match.start(2) + 1, match.group(2), match.group(1), "text")
        else:
            yield Literal(path, index + 1, len(line) - len(line.lstrip()) + 1, stripped, None, "text")
