from __future__ import annotations

from typing import Any

import pytest
from helpers import run_node

from kailash_cli.model.workflow import node_spec
from kailash_cli.nodes.base import Finding
from kailash_cli.nodes.switch import NODE_TYPE, case_output

ORDER = {
    "id": 7,
    "status": "active",
    "total": 150,
    "tags": ["vip", "eu"],
    "note": None,
    "customer": {"address": {"country": "FR"}},
}


def switch(**params: Any) -> dict[str, Any]:
    return run_node("SwitchNode", {"input_data": ORDER, **params})


@pytest.mark.parametrize(
    ("field", "operator", "value", "taken"),
    [
        ("status", "==", "active", True),
        ("status", "==", "closed", False),
        ("status", "!=", "closed", True),
        ("status", "!=", "active", False),
        ("total", ">", 100, True),
        ("total", ">", 150, False),
        ("total", ">=", 150, True),
        ("total", ">=", 151, False),
        ("total", "<", 200, True),
        ("total", "<", 150, False),
        ("total", "<=", 150, True),
        ("total", "<=", 149, False),
        ("status", "in", ["active", "pending"], True),
        ("status", "in", ["closed"], False),
        ("tags", "contains", "vip", True),
        ("tags", "contains", "us", False),
        ("note", "is_null", None, True),
        ("status", "is_null", None, False),
        ("missing", "is_null", None, True),
        ("note", ">", 1, False),
    ],
)
def test_every_operator(field: str, operator: str, value: Any, taken: bool) -> None:
    out = switch(condition_field=field, operator=operator, value=value)
    assert out == ({"true_output": ORDER} if taken else {"false_output": ORDER})


def test_default_operator_is_equality() -> None:
    assert switch(condition_field="id", value=7) == {"true_output": ORDER}


def test_dotted_condition_field() -> None:
    out = switch(condition_field="customer.address.country", operator="==", value="FR")
    assert out == {"true_output": ORDER}
    out = switch(condition_field="customer.missing.country", operator="is_null")
    assert out == {"true_output": ORDER}


def test_without_condition_field_the_whole_input_is_compared() -> None:
    assert run_node("SwitchNode", {"input_data": 5, "operator": ">", "value": 3}) == {"true_output": 5}


def test_dotted_field_through_a_non_mapping_fails() -> None:
    with pytest.raises(TypeError) as info:
        switch(condition_field="status.x", value=1)
    assert str(info.value) == "condition_field 'status.x' needs a mapping, got str"


def test_incomparable_values_fail_clearly() -> None:
    with pytest.raises(TypeError) as info:
        switch(condition_field="status", operator=">", value=3)
    assert str(info.value) == "cannot compare 'active' > 3"


@pytest.mark.parametrize(
    ("tier", "output"), [("gold", "case_gold"), ("silver", "case_silver"), ("bronze", "default")]
)
def test_cases_route_to_case_outputs_or_default(tier: str, output: str) -> None:
    data = {"tier": tier}
    out = run_node("SwitchNode", {"input_data": data, "condition_field": "tier", "cases": ["gold", "silver"]})
    assert out == {output: data}


def test_case_output_names() -> None:
    assert [case_output(v) for v in ("gold", 1, True, False, "new york", "a-b")] == [
        "case_gold",
        "case_1",
        "case_true",
        "case_false",
        "case_new_york",
        "case_a_b",
    ]


def test_outputs_depend_on_the_config() -> None:
    assert NODE_TYPE.outputs({"cases": ["a", 2]}) == ("case_a", "case_2", "default")
    assert NODE_TYPE.outputs({"operator": "==", "value": 1}) == ("true_output", "false_output")


@pytest.mark.parametrize(
    ("config", "findings"),
    [
        ({"value": 1}, []),
        ({"operator": "is_null"}, []),
        ({"cases": ["a"]}, []),
        (
            {"cases": ["a"], "value": 1},
            [
                Finding(
                    "KV211",
                    "node 'sw': use either cases or operator/value, not both",
                    ("config", "cases"),
                    "remove cases, or remove operator and value",
                )
            ],
        ),
        (
            {"operator": ">"},
            [
                Finding(
                    "KV211",
                    "node 'sw': a condition needs 'value' (or operator is_null, or cases)",
                    ("config",),
                    "add value: ... or cases: [...]",
                )
            ],
        ),
    ],
)
def test_check(config: dict[str, Any], findings: list[Finding]) -> None:
    assert NODE_TYPE.check(node_spec("sw", {"type": "SwitchNode", "config": config})) == findings
