"""The evaluator of ``${ ... }`` expressions that are more than a plain reference.

simpleeval (a maintained, audited evaluator over Python's ``ast``) with its node table cut
down to what SPEC section 2 allows, the allow-list the parser checks statically. User text
is never passed to ``eval``. Imported only when such an expression is evaluated
(:func:`kailash_cli.model.evaluation.evaluate`), so a run of plain references never loads it.
"""

from __future__ import annotations

import ast
import time
from typing import TYPE_CHECKING, Any

import simpleeval

from kailash_cli.errors import ExpressionError
from kailash_cli.model.evaluation import _read_key
from kailash_cli.model.expression_limits import EVAL_SECONDS, OPERATORS
from kailash_cli.model.expressions import Expr

if TYPE_CHECKING:
    from kailash_cli.model.evaluation import Scope


class Evaluator(simpleeval.EvalWithCompoundTypes):  # type: ignore[misc]
    """simpleeval's evaluator with its node table cut down to what SPEC section 2 allows."""

    def __init__(self, names: Scope) -> None:
        super().__init__(names=names, functions={"len": len})
        self.functions = {"len": len}
        self.operators = {**simpleeval.DEFAULT_OPERATORS, **OPERATORS}
        self.deadline = 0.0
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

    def run(self, expr: Expr) -> Any:
        """``expr``'s value, within its time; simpleeval's errors as ExpressionError."""
        self.deadline = time.monotonic() + EVAL_SECONDS
        try:
            return self.eval(expr.text, previously_parsed=expr.tree)
        except simpleeval.NameNotDefined as e:
            raise ExpressionError(f"unknown name '{e.name}'") from None
        except simpleeval.InvalidExpression as e:
            raise ExpressionError(str(e) or type(e).__name__) from None

    def _eval(self, node: ast.AST) -> Any:
        if time.monotonic() > self.deadline:
            raise ExpressionError(f"evaluation took longer than {EVAL_SECONDS:g} s and was stopped")
        return super()._eval(node)

    def _base(self, node: ast.AST) -> Any:
        """What a key or an index is read from, not walked for disallowed items: only what is
        read from it comes out (and is checked). Walked, ``nodes`` costs every node's outputs
        on every evaluation: a second with a million rows in the run (issue 15)."""
        handler = self.nodes.get(type(node))
        return self._eval(node) if handler is None else handler(node)

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        return self._base(node.value)[self._eval(node.slice)]

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        return _read_key(self._base(node.value), node.attr, ast.unparse(node.value))
