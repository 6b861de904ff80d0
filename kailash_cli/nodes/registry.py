"""The node types, by the name a workflow's ``type:`` uses.

A type's module is imported the first time the type is looked up, so a run of Python
nodes does not load the SQL, CSV or HTTP modules (and what they import). Names alone
(``name in NODE_TYPES``, ``sorted(NODE_TYPES)``) import nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from kailash_cli.nodes.base import NodeType

#: type name -> ``module:attribute`` of its instance, in the order `kailash nodes -o json` lists them
WHERE: dict[str, str] = {
    "PythonCodeNode": "python_code:NODE_TYPE",
    "CSVReaderNode": "csv_io:READER",
    "CSVWriterNode": "csv_io:WRITER",
    "JSONReaderNode": "json_io:READER",
    "JSONWriterNode": "json_io:WRITER",
    "HTTPRequestNode": "http:NODE_TYPE",
    "SwitchNode": "switch:NODE_TYPE",
    "MergeNode": "merge:NODE_TYPE",
    "DirectoryReaderNode": "directory:NODE_TYPE",
    "WebhookAlertNode": "webhook:NODE_TYPE",
    "SQLDatabaseNode": "sql:NODE_TYPE",
}


class NodeTypes(Mapping[str, NodeType]):
    """The registry: a read-only mapping whose values are imported on first use."""

    def __init__(self, where: Mapping[str, str]) -> None:
        self._where = dict(where)
        self._loaded: dict[str, NodeType] = {}

    def __getitem__(self, name: str) -> NodeType:
        found = self._loaded.get(name)
        if found is None:
            module, _, attribute = self._where[name].partition(":")  # KeyError: not a node type
            found = getattr(importlib.import_module(f"kailash_cli.nodes.{module}"), attribute)
            assert isinstance(found, NodeType) and found.name == name, f"{self._where[name]} is not {name}"
            self._loaded[name] = found
        return found

    def get(self, name: str, default: NodeType | None = None) -> NodeType | None:  # type: ignore[override]
        """Mapping's ``get`` without its ``try``/``KeyError`` round trip (asked for every node)."""
        found = self._loaded.get(name)
        if found is not None:
            return found
        return self[name] if name in self._where else default

    def __contains__(self, name: object) -> bool:
        return name in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


NODE_TYPES: Mapping[str, NodeType] = NodeTypes(WHERE)


def get_node_type(name: str) -> NodeType | None:
    return NODE_TYPES.get(name)
