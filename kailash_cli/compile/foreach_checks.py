"""Findings about ``foreach``, ``batch`` and ``rate_limit`` of one node (KV240, KV241, KV243).

``foreach`` must be one ``${...}`` expression (KV240); ``batch`` means nothing without it
(KV241); a ``rate_limit`` is ``50/s`` or ``300/min`` with a rate above zero (KV243).
``${item}`` outside the config of a foreach node (KV242) is a reference check.
"""

from __future__ import annotations

from typing import Any

from kailash_cli.errors import ExpressionError
from kailash_cli.load.yaml_io import Document, JsonPath
from kailash_cli.model.expressions import Template, parse_template
from kailash_cli.model.foreach import parse_rate
from kailash_cli.model.result import Problem


def foreach_problems(doc: Document, node_id: str, node: dict[str, Any]) -> list[Problem]:
    base: JsonPath = ("nodes", node_id)
    problems = []
    foreach = node.get("foreach")
    if isinstance(foreach, str) and not _one_expression(foreach):
        problems.append(
            doc.problem(
                "KV240",
                f"node '{node_id}': foreach must be one expression giving a list, got '{foreach}'",
                (*base, "foreach"),
                fix='write foreach: "${nodes.read.data}" (or another ${...} that gives a list)',
            )
        )
    batch = node.get("batch")
    if "batch" in node and "foreach" not in node:
        problems.append(
            doc.problem(
                "KV241",
                f"node '{node_id}': batch applies only to a node with foreach:",
                (*base, "batch"),
                key=True,
                fix="add foreach: with the items, or remove batch:",
            )
        )
    rates: list[tuple[Any, JsonPath]] = [(node.get("rate_limit"), (*base, "rate_limit"))]
    if isinstance(batch, dict):
        rates.append((batch.get("rate_limit"), (*base, "batch", "rate_limit")))
    for value, where in rates:
        if isinstance(value, str) and parse_rate(value) is None:
            problems.append(
                doc.problem(
                    "KV243",
                    f"node '{node_id}': rate_limit '{value}' is not a rate above zero",
                    where,
                    fix="write calls per second or minute above zero: 50/s, 300/min, 0.5/s",
                )
            )
    return problems


def _one_expression(text: str) -> bool:
    try:
        parsed = parse_template(text)
    except ExpressionError:  # KV301 says what is wrong with it
        return True
    return isinstance(parsed, Template) and parsed.whole
