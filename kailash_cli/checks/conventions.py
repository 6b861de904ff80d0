"""KD8xx: the conventions of the Kailash production checklist."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from kailash_cli.checks.base import Check, CheckFamily
from kailash_cli.checks.project import Project
from kailash_cli.model.result import Problem

NODE_CLASS_NAME = Check(
    "KD801",
    "warning",
    "custom node class name does not end in Node",
    "Kailash node types end in Node (CSVReaderNode); workflows and `kailash nodes` rely on it.",
    "rename the class so that it ends in Node",
)
LONG_INLINE_CODE = Check(
    "KD802",
    "warning",
    "inline PythonCodeNode code longer than 3 lines",
    "Inline code cannot be linted, tested or imported; the checklist keeps it to a few lines.",
    "move the code into a module and use config.function: 'package.module:function'",
)
CAMEL_CASE_KEY = Check(
    "KD803",
    "warning",
    "camelCase config key",
    "Kailash configuration and node parameters are snake_case; a camelCase key is usually a "
    "typo that is silently ignored.",
    "write the key in snake_case",
)
CHECKS = (NODE_CLASS_NAME, LONG_INLINE_CODE, CAMEL_CASE_KEY)

MAX_INLINE_LINES = 3
_CAMEL = re.compile(r"^[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*$")


def run(project: Project) -> Iterator[Problem]:
    for path in project.production_files:
        tree = project.python_ast(path)
        if not isinstance(tree, SyntaxError):
            for node in _classes(tree.body):
                if _is_node_class(node) and not node.name.endswith("Node"):
                    yield NODE_CLASS_NAME.at(
                        f"node class '{node.name}' does not end in Node",
                        project.display(path),
                        node.lineno,
                        node.col_offset + 1,
                        fix=f"rename it to {node.name}Node",
                    )
    for doc in project.workflows:
        nodes = doc.data.get("nodes") if isinstance(doc.data, dict) else None
        for node_id, node in nodes.items() if isinstance(nodes, dict) else ():
            config = node.get("config") if isinstance(node, dict) else None
            if not isinstance(config, dict):
                continue
            code = config.get("code")
            if node.get("type") == "PythonCodeNode" and isinstance(code, str):
                lines = [line for line in code.splitlines() if line.strip()]
                if len(lines) > MAX_INLINE_LINES:
                    yield doc.problem(
                        LONG_INLINE_CODE.id,
                        f"node '{node_id}': inline code has {len(lines)} lines (at most {MAX_INLINE_LINES})",
                        ("nodes", node_id, "config", "code"),
                        fix=LONG_INLINE_CODE.fix,
                        severity=LONG_INLINE_CODE.severity,
                    )
            for key in config:
                if _CAMEL.match(key):
                    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower()
                    yield doc.problem(
                        CAMEL_CASE_KEY.id,
                        f"node '{node_id}': config key '{key}' is camelCase",
                        ("nodes", node_id, "config", key),
                        key=True,
                        fix=f"write it as {snake}",
                        severity=CAMEL_CASE_KEY.severity,
                    )


def _classes(body: list[ast.stmt]) -> Iterator[ast.ClassDef]:
    """Module-level classes and the classes nested in them (node types are not made in functions)."""
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            yield stmt
            yield from _classes(stmt.body)
        elif isinstance(stmt, ast.If | ast.Try):
            yield from _classes(stmt.body)


def _is_node_class(node: ast.ClassDef) -> bool:
    for base in node.bases:
        name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
        if name.endswith("Node"):
            return True
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = (
            target.id
            if isinstance(target, ast.Name)
            else target.attr
            if isinstance(target, ast.Attribute)
            else ""
        )
        if name in ("register_node", "node"):
            return True
    return False


FAMILY = CheckFamily("KD8", "Conventions", CHECKS, run)
