"""The node types, by the name a workflow's ``type:`` uses."""

from __future__ import annotations

from kailash_cli.nodes import csv_io, directory, http, json_io, merge, python_code, sql, switch, webhook
from kailash_cli.nodes.base import NodeType

NODE_TYPES: dict[str, NodeType] = {
    node.name: node
    for node in (
        python_code.NODE_TYPE,
        csv_io.READER,
        csv_io.WRITER,
        json_io.READER,
        json_io.WRITER,
        http.NODE_TYPE,
        switch.NODE_TYPE,
        merge.NODE_TYPE,
        directory.NODE_TYPE,
        webhook.NODE_TYPE,
        sql.NODE_TYPE,
    )
}


def get_node_type(name: str) -> NodeType | None:
    return NODE_TYPES.get(name)
