"""SwitchNode: route ``input_data`` to exactly one output; the others are not produced."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kailash_cli.model.workflow import NodeSpec
from kailash_cli.nodes.base import Finding, NodeContext, NodeType, Outputs

_MISSING = object()


def case_output(value: Any) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return "case_" + re.sub(r"\W", "_", text)


def _field(data: Any, path: str | None) -> Any:
    if not path:
        return data
    for part in path.split("."):
        if data is None:  # a missing key on the way: the field is missing, like a missing leaf
            return None
        if not isinstance(data, Mapping):
            raise TypeError(f"condition_field '{path}' needs a mapping, got {type(data).__name__}")
        data = data.get(part, None)
    return data


def _compare(left: Any, operator: str, right: Any) -> bool:
    if operator == "is_null":
        return left is None
    if operator == "in":
        return left in right
    if operator == "contains":
        return right in left
    if operator in ("==", "!="):
        return (left == right) == (operator == "==")
    if left is None:
        return False
    try:
        return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[operator]
    except TypeError:
        raise TypeError(f"cannot compare {left!r} {operator} {right!r}") from None


class SwitchNode(NodeType):
    name = "SwitchNode"
    summary = "Route input_data to true_output/false_output by a condition, or to case_<value>/default."
    declared_outputs = ("true_output", "false_output")
    example = """\
route:
  type: SwitchNode
  config: {condition_field: status, operator: "==", value: active}
# or by cases: {condition_field: tier, cases: [gold, silver]} -> case_gold, case_silver, default
"""

    def outputs(self, config: Mapping[str, Any]) -> tuple[str, ...] | None:
        cases = config.get("cases")
        if isinstance(cases, list):
            return (*(case_output(c) for c in cases), "default")
        return self.declared_outputs

    def check(self, spec: NodeSpec) -> list[Finding]:
        config = spec.config
        if "cases" in config and ("value" in config or "operator" in config):
            return [
                Finding(
                    "KV211",
                    f"node '{spec.id}': use either cases or operator/value, not both",
                    ("config", "cases"),
                    "remove cases, or remove operator and value",
                )
            ]
        if "cases" not in config and "value" not in config and config.get("operator") != "is_null":
            return [
                Finding(
                    "KV211",
                    f"node '{spec.id}': a condition needs 'value' (or operator is_null, or cases)",
                    ("config",),
                    "add value: ... or cases: [...]",
                )
            ]
        return []

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        data = params["input_data"]
        subject = _field(data, params.get("condition_field"))
        cases = params.get("cases")
        if isinstance(cases, list):
            for case in cases:
                if subject == case:
                    return {case_output(case): data}
            return {"default": data}
        taken = _compare(subject, params.get("operator", "=="), params.get("value"))
        return {"true_output" if taken else "false_output": data}


NODE_TYPE = SwitchNode()
