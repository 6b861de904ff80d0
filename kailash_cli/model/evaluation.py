"""Evaluating parsed ``${ ... }`` expressions (:mod:`kailash_cli.model.expressions` parses them).

A plain reference (``${a.b.c}``) is looked up directly; any other expression goes to the
evaluator of :mod:`kailash_cli.model.evaluator` (simpleeval, imported then). User text is
never passed to ``eval``. Here: the ``Scope`` of names an expression sees, ``evaluate``,
``render`` of a template, and ``compile_value``, one resolver for every template in a
nested value.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kailash_cli.errors import ExpressionError
from kailash_cli.model.expressions import Expr, Template, parse_template

if TYPE_CHECKING:
    from kailash_cli.model.evaluator import Evaluator

CONSTANTS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


class Scope(dict[str, Any]):
    """Names visible to an expression; a bare upper-case name reads the environment."""

    def __init__(self, values: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        super().__init__(CONSTANTS)
        self.update(values)
        self.environ = environ
        self.evaluator: Evaluator | None = None

    def __missing__(self, key: str) -> Any:
        env = dict.get(self, "env")
        if key.isupper() and isinstance(env, Mapping) and key in env:
            return env[key]  # the typed value of a declared variable, its default included
        if key.isupper() and key in self.environ:
            return self.environ[key]
        if key.isupper():
            raise ExpressionError(f"environment variable {key} is not set")
        raise KeyError(key)


def _read_key(base: Any, key: str, where: str) -> Any:
    """``where.key``: a key of a mapping; only data is reachable, no methods or attributes of
    Python objects (``'x'.join``)."""
    if isinstance(base, Mapping):
        if key in base:
            return base[key]
        raise ExpressionError(f"'{where}' has no key '{key}'" + _keys_hint(base))
    raise ExpressionError(f"'{where}' is {_kind(base)}, not a mapping; it has no key '{key}'")


def _kind(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        tuple: "a list",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def _keys_hint(base: Mapping[str, Any]) -> str:
    keys = [str(k) for k in list(base)[:8]]
    return f" (keys: {', '.join(keys)})" if keys else " (it is empty)"


def evaluate(expr: Expr, scope: Scope) -> Any:
    path = _plain_path(expr.tree)
    try:
        if path is not None:  # a name and keys (${item}, ${nodes.read.data}): looked up directly
            return _lookup(path, scope)
        if scope.evaluator is None:
            from kailash_cli.model.evaluator import Evaluator

            scope.evaluator = Evaluator(scope)
        return scope.evaluator.run(expr)
    except ExpressionError as e:
        raise ExpressionError(f"${{{expr.text}}}: {e}") from None
    except RecursionError:
        raise ExpressionError(f"${{{expr.text}}}: the value is nested too deeply") from None
    except MemoryError:
        raise ExpressionError(f"${{{expr.text}}}: the result does not fit in memory") from None
    except (LookupError, TypeError, ValueError, ArithmeticError) as e:
        detail = f"no key {e}" if isinstance(e, KeyError) else str(e) or type(e).__name__
        raise ExpressionError(f"${{{expr.text}}}: {detail}") from None


def _plain_path(tree: ast.AST) -> tuple[str, ...] | None:
    """The names of ``a.b.c`` when the expression is only that, else None.

    Such a reference is resolved without the evaluator, whose check of the value it
    returns walks the whole value: a batch of 10,000 rows would cost milliseconds."""
    node = tree.body if isinstance(tree, ast.Expression) else tree
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id in CONSTANTS:
        return None
    return (node.id, *reversed(names))


def _lookup(path: tuple[str, ...], scope: Scope) -> Any:
    """As the evaluator would: the same values, the same errors (``evaluate`` words them)."""
    try:
        value = scope[path[0]]
    except KeyError:
        raise ExpressionError(f"unknown name '{path[0]}'") from None
    for i, key in enumerate(path[1:], start=1):
        value = _read_key(value, key, ".".join(path[:i]))
    return value


def render(template: Template, scope: Scope) -> Any:
    if template.whole:
        return evaluate(template.parts[0], scope)  # type: ignore[arg-type]
    return "".join(p if isinstance(p, str) else _text(evaluate(p, scope)) for p in template.parts)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def compile_value(value: Any) -> Callable[[Scope], Any] | None:
    """A function that resolves every template in ``value``; None when there are none."""
    if isinstance(value, str):
        parsed = parse_template(value)
        if isinstance(parsed, Template):
            return lambda scope: render(parsed, scope)
        if parsed != value:
            return lambda scope: parsed
        return None
    if isinstance(value, (dict, Mapping)):  # a dict is found before the slow check of the ABC
        items = {k: compile_value(v) for k, v in value.items()}
        if not any(items.values()):
            return None
        return lambda scope: {k: (f(scope) if f else value[k]) for k, f in items.items()}
    if isinstance(value, list):
        elems = [compile_value(v) for v in value]
        if not any(elems):
            return None
        return lambda scope: [f(scope) if f else value[i] for i, f in enumerate(elems)]
    return None
