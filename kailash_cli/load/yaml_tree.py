"""Plain data from the node tree ruamel.yaml composes, and where each key and value stands.

``Builder`` walks the tree once: it records the ``(line, column)`` of every path on the
``Document``, keeps timestamps (and binary) as text, turns keys into strings, applies merge
keys (``<<``), and reports duplicate keys (KV004) and recursive aliases (KV003) as problems
instead of stopping. Aliases are shared, not copied, but counted as often as they are
used: past ``MAX_VALUES`` the walk stops (``TooLarge``) before "billion laughs" data
reaches anything that walks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kailash_cli.load.yaml_limits import MAX_DEPTH
from kailash_cli.model.result import Problem

if TYPE_CHECKING:  # for annotations only: yaml_io imports this module
    from kailash_cli.load.yaml_io import Document, JsonPath, Position

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_STRING_TAGS = {_STR_TAG, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}

#: values a document may expand to through aliases ("billion laughs" stops here)
MAX_VALUES = 1_000_000


class TooLarge(Exception):
    """The data expands past MAX_VALUES through aliases; args: where the alias is used."""


class TooDeep(Exception):
    """Aliases nest the data deeper than MAX_DEPTH; args: where the alias is used."""


class Builder:
    def __init__(self, doc: Document, yaml: YAML) -> None:
        self.doc = doc
        self.constructor = yaml.constructor
        self.anchors: dict[int, Any] = {}
        self.building: set[int] = set()
        self.count = 0  # values of the data so far, aliases expanded
        self.sizes: dict[int, int] = {}  # values under each collection node, aliases expanded
        self.level = 0  # collections around the value being built
        self.deepest = 0  # the deepest level reached in the collection being built
        self.heights: dict[int, int] = {}  # levels of each collection node, aliases expanded

    def build(self, node: Node, path: JsonPath) -> Any:
        self.doc.value_positions[path] = _pos(node)
        self.count += 1
        if isinstance(node, ScalarNode):
            if node.tag in _STRING_TAGS:  # a plain string (what ruamel would construct), or kept as text
                return node.value
            return self.constructor.construct_object(node, deep=True)
        if id(node) in self.building:  # an alias inside its own anchor: data would be infinite
            self.doc.problems.append(
                Problem(
                    "KV003",
                    "error",
                    "YAML alias refers to a value that contains it (recursive data)",
                    self.doc.file,
                    *_pos(node),
                    "copy the value instead of using an alias inside itself",
                )
            )
            return None
        known = self.anchors.get(id(node))
        if known is not None:  # an alias: the value is shared, but whoever walks it walks it again
            self.count += self.sizes[id(node)] - 1
            if self.count > MAX_VALUES:
                raise TooLarge(self.doc.position(path, key=True) or _pos(node))
            self.deepest = max(self.deepest, self.level + self.heights[id(node)])
            if self.deepest > MAX_DEPTH:
                raise TooDeep(self.doc.position(path, key=True) or _pos(node))
            return known
        self.building.add(id(node))
        start, outer = self.count, self.deepest
        self.level += 1
        self.deepest = max(self.deepest, self.level)
        try:
            if isinstance(node, SequenceNode):
                items: list[Any] = []
                self.anchors[id(node)] = items
                items.extend(self.build(item, (*path, i)) for i, item in enumerate(node.value))
                return items
            if isinstance(node, MappingNode):
                mapping: dict[str, Any] = {}
                self.anchors[id(node)] = mapping
                self._fill_mapping(node, path, mapping)
                return mapping
        finally:
            self.building.discard(id(node))
            self.sizes[id(node)] = self.count - start + 1
            self.heights[id(node)] = self.deepest - self.level + 1
            self.level -= 1
            self.deepest = max(outer, self.deepest)
        raise AssertionError(f"unknown YAML node {node!r}")  # pragma: no cover - the three kinds above

    def _fill_mapping(self, node: MappingNode, path: JsonPath, mapping: dict[str, Any]) -> None:
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_tag = key_node.tag
            if key_tag == _MERGE_TAG:
                merged = {**self._merge_sources(value_node, path), **merged}
                continue
            if key_tag == _STR_TAG and isinstance(key_node, ScalarNode):
                key = key_node.value  # the common case: what build() would return
            else:
                key = self.build(key_node, (*path, "<key>"))
                key = key if isinstance(key, str) else _key_text(key)
            child = (*path, key)
            where = _pos(key_node)
            if key in mapping:
                self.doc.problems.append(
                    Problem(
                        "KV004",
                        "error",
                        f"duplicate key '{key}'",
                        self.doc.file,
                        *where,
                        "remove one of the two entries; the last one wins",
                    )
                )
                self._forget(child)  # the last entry wins: locate findings there
            self.doc.key_positions[child] = where
            mapping[key] = self.build(value_node, child)
        self.doc.value_positions.pop((*path, "<key>"), None)
        for key, value in merged.items():
            mapping.setdefault(key, value)

    def _forget(self, path: JsonPath) -> None:
        for table in (self.doc.key_positions, self.doc.value_positions):
            for stale in [p for p in table if p[: len(path)] == path]:
                del table[stale]

    def _merge_sources(self, node: Node, path: JsonPath) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        own = self.doc.value_positions[path]
        for source in reversed(sources):
            value = self.build(source, path)
            if isinstance(value, dict):
                merged.update(value)
            else:
                self.doc.problems.append(
                    Problem(
                        "KV003",
                        "error",
                        "merge key '<<' needs a mapping or a list of mappings",
                        self.doc.file,
                        *_pos(source),
                        "merge only anchors of mappings (<<: *defaults)",
                    )
                )
        self.doc.value_positions[path] = own  # the mapping stays where it is written
        return merged


def _key_text(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _pos(node: Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)
