"""``${...}`` expressions on generated hostile input: parsing and evaluation either give a
value or an ExpressionError, quickly, whatever the text (costly operations are refused
before they compute)."""

from __future__ import annotations

import contextlib
import time

from fuzz_strategies import expressions
from hypothesis import given
from hypothesis import strategies as st

from kailash_cli.errors import ExpressionError
from kailash_cli.model.evaluation import Scope, evaluate
from kailash_cli.model.expression_limits import EVAL_SECONDS
from kailash_cli.model.expressions import parse_expr, parse_template

SCOPE_VALUES = {
    "params": {"x": 1, "a": {"a": [1, 2]}, "big": list(range(1000))},
    "nodes": {"a": {"result": [{"a": 1}]}},
    "env": {"HOME": "/root"},
    "secrets": {},
    "run": {"id": "r1"},
    "x": 4000000,
}


def _evaluated(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        evaluate(parse_expr(text), Scope(SCOPE_VALUES, {"PATH": "/bin"}))


@given(expressions)
def test_generated_expressions_end_quickly_with_a_value_or_an_expression_error(text: str) -> None:
    started = time.monotonic()
    _evaluated(text)
    assert time.monotonic() - started < EVAL_SECONDS * 3


@given(st.text(st.sampled_from(list("()[]{}.'\"*%+-<>=!~^&|0123456789abnot lenx_ ,:$\\")), max_size=200))
def test_any_text_parses_or_is_an_expression_error(text: str) -> None:
    _evaluated(text)


@given(st.text(max_size=100))
def test_any_template_parses_or_is_an_expression_error(text: str) -> None:
    try:
        parse_template("${" + text)
        parse_template(text)
    except ExpressionError:
        pass
