"""``${ ... }`` expressions: parsed once and checked statically.

:func:`parse_expr` holds an expression to what SPEC section 2 allows: literals, names,
attribute and index access, comparison, ``and``/``or``/``not``, arithmetic and ``len()``,
so ``kailash validate`` reports a disallowed construct before anything runs. The
evaluation, over the same allow-list, is in :mod:`kailash_cli.model.evaluation`.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kailash_cli.errors import ExpressionError
from kailash_cli.model.expression_limits import check_depth, check_shape

ROOTS = ("params", "env", "secrets", "nodes", "run")
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
    check_shape(stripped)
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"expression '{stripped}' does not parse: {e.msg}") from e
    except (RecursionError, MemoryError):
        raise ExpressionError(f"expression '{stripped[:60]}...' is nested too deeply to parse") from None
    check_depth(tree, stripped)
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
