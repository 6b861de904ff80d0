from __future__ import annotations

from typing import Any

import pytest
from helpers import run_node


@pytest.mark.parametrize(
    ("params", "merged"),
    [
        ({"data1": [1], "data2": {"a": 1}}, [[1], {"a": 1}]),
        ({"data2": "b", "data10": "j", "data1": "a", "strategy": "list"}, ["a", "b", "j"]),
        ({"data1": [1, 2], "data2": 3, "data3": [4], "strategy": "concat"}, [1, 2, 3, 4]),
        ({"data1": {"a": 1, "b": 1}, "data2": {"b": 2}, "strategy": "dict"}, {"a": 1, "b": 2}),
        ({"data2": "second", "data3": "third", "strategy": "first"}, "second"),
        ({"strategy": "first"}, None),
        ({"strategy": "list"}, []),
        ({"data1": "x", "other": "ignored", "strategy": "list"}, ["x"]),
    ],
)
def test_strategies(params: dict[str, Any], merged: Any) -> None:
    assert run_node("MergeNode", params) == {"merged_data": merged}


def test_dict_strategy_needs_mappings() -> None:
    with pytest.raises(TypeError) as info:
        run_node("MergeNode", {"data1": {"a": 1}, "data2": [1], "strategy": "dict"})
    assert str(info.value) == "strategy dict needs mappings, got list"


def test_merge_accepts_partial_inputs() -> None:
    from kailash_cli.nodes.merge import NODE_TYPE

    assert NODE_TYPE.partial_inputs is True
    assert NODE_TYPE.accepts("data7") is True
