"""``${ ... }`` expressions: parsed once, checked statically, evaluated safely.

Evaluation uses simpleeval (a maintained, audited evaluator over Python's ``ast``) with
its node table cut down to what SPEC section 2 allows: literals, names, attribute and
index access, comparison, ``and``/``or``/``not``, arithmetic and ``len()``. The same
allow-list is checked statically by :func:`check`, so ``kailash validate`` reports a
disallowed construct before anything runs. User text is never passed to ``eval``.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import simpleeval

from kailash_cli.errors import ExpressionError

ROOTS = ("params", "env", "secrets", "nodes", "run")
CONSTANTS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Constant,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Load,
    ast.operator,
    ast.boolop,
    ast.unaryop,
    ast.cmpop,
    ast.Call,
)


@dataclass(frozen=True, slots=True)
class Expr:
    text: str
    tree: ast.expr
    refs: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Template:
    """A string with ``${...}`` parts; ``whole`` when it is exactly one expression."""

    source: str
    parts: tuple[str | Expr, ...]

    @property
    def whole(self) -> bool:
        return len(self.parts) == 1 and isinstance(self.parts[0], Expr)

    @property
    def exprs(self) -> tuple[Expr, ...]:
        return tuple(p for p in self.parts if isinstance(p, Expr))


def _split(source: str) -> list[str | tuple[str, int]]:
    """Literal text and (expression text, offset) pairs; ``$${`` is a literal ``${``."""
    out: list[str | tuple[str, int]] = []
    i, literal = 0, ""
    while i < len(source):
        if source.startswith("$${", i):
            literal, i = literal + "${", i + 3
            continue
        if not source.startswith("${", i):
            literal, i = literal + source[i], i + 1
            continue
        end = _closing_brace(source, i + 2)
        if end < 0:
            raise ExpressionError(f"'${{' at offset {i} has no closing '}}'")
        if literal:
            out.append(literal)
            literal = ""
        out.append((source[i + 2 : end], i))
        i = end + 1
    if literal:
        out.append(literal)
    return out


def _closing_brace(source: str, start: int) -> int:
    depth, quote = 0, ""
    for j in range(start, len(source)):
        ch = source[j]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return j
            depth -= 1
    return -1


def parse_expr(text: str) -> Expr:
    stripped = text.strip()
    if not stripped:
        raise ExpressionError("empty expression '${}'")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"expression '{stripped}' does not parse: {e.msg}") from e
    for node in ast.walk(tree):
        _check_node(node, stripped)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    if any(isinstance(n, ast.Name) and n.id == "len" and id(n) not in called for n in ast.walk(tree)):
        raise ExpressionError(f"expression '{stripped}' uses len without calling it; write len(x)")
    return Expr(stripped, tree.body, tuple(_references(tree.body)))


def _check_node(node: ast.AST, text: str) -> None:
    if not isinstance(node, _ALLOWED):
        raise ExpressionError(
            f"expression '{text}' uses {type(node).__name__}, which is not allowed "
            "(literals, names, .attr, [index], comparisons, and/or/not, arithmetic, len())"
        )
    if isinstance(node, ast.Call) and not (
        isinstance(node.func, ast.Name)
        and node.func.id == "len"
        and len(node.args) == 1
        and not node.keywords
    ):
        raise ExpressionError(f"expression '{text}' calls a function; only len(x) is allowed")
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        raise ExpressionError(
            f"expression '{text}' reads '{node.attr}'; names starting with '_' are not allowed"
        )


def _references(tree: ast.expr) -> list[tuple[str, ...]]:
    refs: list[tuple[str, ...]] = []

    def chain(node: ast.expr) -> tuple[str, ...] | None:
        if isinstance(node, ast.Name):
            return (node.id,)
        if isinstance(node, ast.Attribute):
            base = chain(node.value)
            return (*base, node.attr) if base is not None else None
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            base = chain(node.value)
            return (*base, node.slice.value) if base is not None else None
        return None

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            for arg in node.args:
                visit(arg)
            return
        if isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
            found = chain(node)  # type: ignore[arg-type]
            if found is not None:
                refs.append(found)
                if isinstance(node, ast.Subscript):
                    visit(node.slice)
                return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return refs


def parse_template(source: str) -> Template | str:
    """``source`` unchanged when it has no expression, else its Template."""
    if "${" not in source:
        return source
    parts: list[str | Expr] = []
    for piece in _split(source):
        parts.append(piece if isinstance(piece, str) else parse_expr(piece[0]))
    if not any(isinstance(p, Expr) for p in parts):
        return "".join(p for p in parts if isinstance(p, str))
    return Template(source, tuple(parts))


def templates_in(value: Any) -> list[Template]:
    """Every Template found in a nested value (raises ExpressionError on a bad one)."""
    if isinstance(value, str):
        parsed = parse_template(value)
        return [parsed] if isinstance(parsed, Template) else []
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in templates_in(v)]
    if isinstance(value, list):
        return [t for v in value for t in templates_in(v)]
    return []


class Scope(dict[str, Any]):
    """Names visible to an expression; a bare upper-case name reads the environment."""

    def __init__(self, values: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        super().__init__(CONSTANTS)
        self.update(values)
        self.environ = environ
        self.evaluator: _Evaluator | None = None

    def __missing__(self, key: str) -> Any:
        if key.isupper() and key in self.environ:
            return self.environ[key]
        if key.isupper():
            raise ExpressionError(f"environment variable {key} is not set")
        raise KeyError(key)


class _Evaluator(simpleeval.EvalWithCompoundTypes):  # type: ignore[misc]
    def __init__(self, names: Scope) -> None:
        super().__init__(names=names, functions={"len": len})
        self.functions = {"len": len}
        for banned in (
            ast.IfExp,
            ast.JoinedStr,
            ast.FormattedValue,
            ast.Set,
            ast.ListComp,
            ast.GeneratorExp,
            ast.DictComp,
            ast.Assign,
            ast.AugAssign,
            ast.Import,
            ast.Expr,
        ):
            self.nodes.pop(banned, None)

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        base = self._eval(node.value)
        if isinstance(base, Mapping):
            if node.attr in base:
                return base[node.attr]
            raise ExpressionError(f"'{ast.unparse(node.value)}' has no key '{node.attr}'" + _keys_hint(base))
        # only data is reachable: no methods or attributes of Python objects ('x'.join)
        raise ExpressionError(
            f"'{ast.unparse(node.value)}' is {_kind(base)}, not a mapping; it has no key '{node.attr}'"
        )


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
    if scope.evaluator is None:
        scope.evaluator = _Evaluator(scope)
    try:
        return scope.evaluator.eval(expr.text, previously_parsed=expr.tree)
    except ExpressionError as e:
        raise ExpressionError(f"${{{expr.text}}}: {e}") from None
    except simpleeval.NameNotDefined as e:
        raise ExpressionError(f"${{{expr.text}}}: unknown name '{e.name}'") from None
    except (simpleeval.InvalidExpression, LookupError, TypeError, ValueError, ArithmeticError) as e:
        detail = f"no key {e}" if isinstance(e, KeyError) else str(e) or type(e).__name__
        raise ExpressionError(f"${{{expr.text}}}: {detail}") from None


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
    if isinstance(value, Mapping):
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
