"""What one ``${ ... }`` expression may cost: checked before each operation computes.

Expressions run on the scheduler's thread, where no node timeout reaches them, so a
costly one would stall the whole run: ``${4000000**4000000}``, ``${[[1]*99999]*99999}``
(cheap to build, endless to serialise) or ``${'%0999999999d' % 1}``. Here the operators
the evaluator uses bound the size of what they would make *before* making it; the text
and nesting of an expression are bounded when it is parsed, and the evaluation as a whole
runs under a deadline, the last line of defence.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from kailash_cli.errors import ExpressionError

#: characters of one expression's text (between ``${`` and ``}``)
MAX_EXPR_LENGTH = 2_000
#: nesting of the parsed expression (``not not ... x``, ``a.b.c...``, brackets)
MAX_EXPR_DEPTH = 50
#: bits of an integer an operation may produce (about 3,000 decimal digits)
MAX_INT_BITS = 10_000
#: items (characters, for text) a repetition ``seq * n`` may produce, nested items counted
MAX_ITEMS = 1_000_000
#: seconds one evaluation may take before it is stopped
EVAL_SECONDS = 2.0


def check_shape(text: str) -> None:
    """Refuse an expression too long to parse safely (the parser recurses on nesting)."""
    if len(text) > MAX_EXPR_LENGTH:
        raise ExpressionError(
            f"expression is {len(text):,} characters long; the limit is {MAX_EXPR_LENGTH:,} "
            "(compute large values in a PythonCodeNode)"
        )


def check_depth(tree: ast.AST, text: str) -> None:
    """Refuse a parsed expression nested deeper than MAX_EXPR_DEPTH (walked without recursion)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_EXPR_DEPTH:
            shown = text if len(text) <= 60 else text[:57] + "..."
            raise ExpressionError(
                f"expression '{shown}' nests more than {MAX_EXPR_DEPTH} levels deep; simplify it"
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _power(a: Any, b: Any) -> Any:
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1 and math.log2(abs(a)) * b > MAX_INT_BITS:
        raise ExpressionError(f"{a} ** {b} would have more than {MAX_INT_BITS:,} bits")
    return _bounded(a**b)


def _mult(a: Any, b: Any) -> Any:
    if _is_int(a) and _is_int(b) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise ExpressionError(f"the product would have more than {MAX_INT_BITS:,} bits")
    for seq, times in ((a, b), (b, a)):
        repeats = isinstance(seq, str | bytes | list | tuple) and _is_int(times) and times > 0
        if repeats and (times > MAX_ITEMS or times * items(seq, MAX_ITEMS) > MAX_ITEMS):
            raise ExpressionError(
                f"repeating a value {times:,} times would make more than {MAX_ITEMS:,} items"
            )
    return _bounded(a * b)


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str | bytes):
        raise ExpressionError("'%' formatting of text is not supported; write the parts side by side")
    return a % b


def _shift(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def shifted(a: Any, b: Any) -> Any:
        if _is_int(a) and _is_int(b) and a.bit_length() + max(b, 0) > MAX_INT_BITS:
            raise ExpressionError(f"the shift would make more than {MAX_INT_BITS:,} bits")
        return op(a, b)

    return shifted


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda a, b: _bounded(op(a, b))


def _bounded(value: Any) -> Any:
    if _is_int(value) and value.bit_length() > MAX_INT_BITS:
        raise ExpressionError(f"the result has more than {MAX_INT_BITS:,} bits")
    if isinstance(value, float) and not math.isfinite(value):  # JSON has no such number
        raise ExpressionError(f"the result is {value}, not a finite number")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def items(value: Any, limit: int) -> int:
    """Items in ``value``, nested ones counted (characters for text), counting stops past ``limit``."""
    count, stack = 0, [value]
    while stack and count <= limit:
        current = stack.pop()
        count += 1
        if isinstance(current, str | bytes):
            count += len(current)
        elif isinstance(current, list | tuple):
            stack.extend(current)
        elif isinstance(current, Mapping):
            stack.extend(current.values())
    return count


#: the evaluator's operators: simpleeval's, with the costly ones bounded beforehand
OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Pow: _power,
    ast.Mult: _mult,
    ast.Mod: _mod,
    ast.LShift: _shift(operator.lshift),
    ast.RShift: _shift(operator.rshift),
    ast.Add: _arith(operator.add),
    ast.Div: _arith(operator.truediv),
    ast.Sub: _arith(operator.sub),
}
