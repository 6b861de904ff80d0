"""The strings of a Python module, each with the name it is assigned to.

``password = "..."``, ``connect(password="...")``, ``{"password": "..."}``, a parameter's
default, ``os.getenv("API_KEY", "<default>")`` (a fallback), ``auth=("user", "<password>")``.
Docstrings are left out. One walk per module; nodes that cannot hold a string are skipped.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


def python_strings(tree: ast.Module) -> Iterator[tuple[int, int, str, str | None, bool]]:
    """(line, column, value, name, fallback) of every string constant but docstrings."""
    names = _Names()
    for node in _nodes(tree):  # a parent names its values before they are seen
        if type(node) is ast.Constant:
            if isinstance(node.value, str) and id(node) not in names.skipped:
                name = names.names.get(id(node))
                fallback = id(node) in names.fallbacks
                yield node.lineno, node.col_offset + 1, node.value, name, fallback
        else:
            namer = _NAMERS.get(type(node))
            if namer is not None:
                namer(node, names)


#: nodes that hold no string: left out of the walk (a third of every tree is Load() and names)
_NO_STRINGS = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.Name, ast.alias)


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node that may be or hold a string, each before its children (``ast.walk`` without
    the nodes that cannot)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(
                    v for v in reversed(value) if isinstance(v, ast.AST) and not isinstance(v, _NO_STRINGS)
                )
            elif isinstance(value, ast.AST) and not isinstance(value, _NO_STRINGS):
                stack.append(value)


@dataclass
class _Names:
    """What the walk learnt about the strings below: the name each is assigned to (by node id),
    the docstrings, and the defaults of lookups (``os.getenv("X", <default>)``)."""

    names: dict[int, str] = field(default_factory=dict)
    skipped: set[int] = field(default_factory=set)
    fallbacks: set[int] = field(default_factory=set)


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        return str(target.slice.value)
    return None


def _name_scope(node: Any, found: _Names) -> None:
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        found.skipped.add(id(first.value))  # docstring


def _name_assign(node: Any, found: _Names) -> None:
    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
        name = _target_name(target)
        if name and node.value is not None:
            found.names[id(node.value)] = name


def _name_keyword(node: Any, found: _Names) -> None:
    if node.arg:
        found.names[id(node.value)] = node.arg
        if node.arg == "auth" and isinstance(node.value, ast.Tuple | ast.List) and len(node.value.elts) == 2:
            found.names[id(node.value.elts[1])] = "auth=(user, password)"  # requests, httpx


def _name_dict(node: Any, found: _Names) -> None:
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            found.names[id(value)] = key.value


def _name_arguments(node: Any, found: _Names) -> None:
    positional = [*node.posonlyargs, *node.args]
    for arg, default in zip(positional[len(positional) - len(node.defaults) :], node.defaults, strict=True):
        found.names[id(default)] = arg.arg
    for arg, kw_default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
        if kw_default is not None:
            found.names[id(kw_default)] = arg.arg


_LOOKUPS = frozenset({"get", "getenv", "setdefault", "environ_get", "env"})


def _name_call(node: Any, found: _Names) -> None:
    """``os.getenv("API_KEY", "default")`` names its default (a fallback); ``HTTPBasicAuth("u",
    "pw")`` names its password."""
    func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    if func.endswith("Auth") and len(node.args) >= 2:
        found.names[id(node.args[1])] = f"{func}(user, password)"
    elif len(node.args) == 2 and isinstance(node.args[0], ast.Constant):
        found.names[id(node.args[1])] = str(node.args[0].value)
        if func in _LOOKUPS:
            found.fallbacks.add(id(node.args[1]))


_NAMERS: dict[type, Callable[[Any, _Names], None]] = {
    ast.Module: _name_scope,
    ast.ClassDef: _name_scope,
    ast.FunctionDef: _name_scope,
    ast.AsyncFunctionDef: _name_scope,
    ast.Assign: _name_assign,
    ast.AnnAssign: _name_assign,
    ast.keyword: _name_keyword,
    ast.Dict: _name_dict,
    ast.arguments: _name_arguments,
    ast.Call: _name_call,
}
