"""MergeNode: runs with whichever of ``data1`` ... ``dataN`` arrived."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kailash_cli.nodes.base import NodeContext, NodeType, Outputs

_INPUT = re.compile(r"^data([1-9][0-9]*)$")


class MergeNode(NodeType):
    name = "MergeNode"
    summary = "Merge whichever of data1..dataN arrived: list, concat, dict or first."
    declared_outputs = ("merged_data",)
    partial_inputs = True
    example = """\
join:
  type: MergeNode
  config: {strategy: concat}
# connections: a.result -> join.data1, b.result -> join.data2
"""

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        arrived = sorted(((int(m.group(1)), v) for k, v in params.items() if (m := _INPUT.match(k))))
        values = [v for _, v in arrived]
        strategy = params.get("strategy", "list")
        if strategy == "first":
            return {"merged_data": values[0] if values else None}
        if strategy == "concat":
            merged: list[Any] = []
            for value in values:
                merged.extend(value if isinstance(value, list) else [value])
            return {"merged_data": merged}
        if strategy == "dict":
            out: dict[str, Any] = {}
            for value in values:
                if not isinstance(value, Mapping):
                    raise TypeError(f"strategy dict needs mappings, got {type(value).__name__}")
                out.update(value)
            return {"merged_data": out}
        return {"merged_data": values}


NODE_TYPE = MergeNode()
