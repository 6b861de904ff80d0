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
from ruamel.yaml.resolver import BaseResolver

from kailash_cli.load.yaml_limits import MAX_DEPTH
from kailash_cli.model.result import Problem

if TYPE_CHECKING:  # for annotations only: yaml_io imports this module
    from kailash_cli.load.yaml_io import Document, JsonPath, Position

_MERGE_TAG = "tag:yaml.org,2002:merge"
STR_TAG = "tag:yaml.org,2002:str"
STRING_TAGS = {STR_TAG, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}
#: the tag the resolver gives every quoted scalar and plain text (one shared object)
PLAIN_STR = BaseResolver.DEFAULT_SCALAR_TAG

#: values a document may expand to through aliases ("billion laughs" stops here)
MAX_VALUES = 1_000_000
#: characters of text that count as one more value (so aliases of a long text count too)
TEXT_PER_VALUE = 1_000


class TooLarge(Exception):
    """The data expands past MAX_VALUES through aliases; args: where the alias is used."""


class TooDeep(Exception):
    """Aliases nest the data deeper than MAX_DEPTH; args: where the alias is used."""


class Builder:
    """Builds the data of a composed tree; ``shared=False`` (the text has no ``&``, so no
    anchor and no alias) skips the bookkeeping that only aliases need."""

    def __init__(self, doc: Document, yaml: YAML, *, shared: bool = True) -> None:
        self.doc = doc
        self.shared = shared
        self.positions = doc.value_positions
        self.constructor = yaml.constructor
        self.anchors: dict[int, Any] = {}
        self.building: set[int] = set()
        self.count = 0  # values of the data so far, aliases expanded
        self.sizes: dict[int, int] = {}  # values under each collection node, aliases expanded
        self.level = 0  # collections around the value being built
        self.deepest = 0  # the deepest level reached in the collection being built
        self.heights: dict[int, int] = {}  # levels of each collection node, aliases expanded

    def build(self, node: Node, path: JsonPath) -> Any:
        mark = node.start_mark
        self.positions[path] = (mark.line + 1, mark.column + 1)
        self.count += 1
        if isinstance(node, ScalarNode):
            if len(node.value) > TEXT_PER_VALUE:  # a long text counts as the values it could hold:
                self.count += len(node.value) // TEXT_PER_VALUE  # 9 MB aliased 100,000 times is big
                if self.count > MAX_VALUES:
                    raise TooLarge(self.doc.position(path, key=True) or position_of(node))
            if node.ctag is PLAIN_STR or node.tag in STRING_TAGS:  # a string, or kept as text
                return node.value
            return self.constructor.construct_object(node, deep=True)
        if not self.shared:
            return self._collection(node, path)
        if id(node) in self.building:  # an alias inside its own anchor: data would be infinite
            self.doc.problems.append(
                Problem(
                    "KV003",
                    "error",
                    "YAML alias refers to a value that contains it (recursive data)",
                    self.doc.file,
                    *position_of(node),
                    "copy the value instead of using an alias inside itself",
                )
            )
            return None
        known = self.anchors.get(id(node))
        if known is not None:  # an alias: the value is shared, but whoever walks it walks it again
            self.count += self.sizes[id(node)] - 1
            if self.count > MAX_VALUES:
                raise TooLarge(self.doc.position(path, key=True) or position_of(node))
            self.deepest = max(self.deepest, self.level + self.heights[id(node)])
            if self.deepest > MAX_DEPTH:
                raise TooDeep(self.doc.position(path, key=True) or position_of(node))
            return known
        self.building.add(id(node))
        start, outer = self.count, self.deepest
        self.level += 1
        self.deepest = max(self.deepest, self.level)
        try:
            return self._collection(node, path)
        finally:
            self.building.discard(id(node))
            self.sizes[id(node)] = self.count - start + 1
            self.heights[id(node)] = self.deepest - self.level + 1
            self.level -= 1
            self.deepest = max(outer, self.deepest)

    def _collection(self, node: Node, path: JsonPath) -> Any:
        """The list or dict of ``node``, known as the anchor's value before its items are built."""
        if isinstance(node, SequenceNode):
            items: list[Any] = []
            if self.shared:
                self.anchors[id(node)] = items
            items.extend(self.build(item, (*path, i)) for i, item in enumerate(node.value))
            return items
        if isinstance(node, MappingNode):
            mapping: dict[str, Any] = {}
            if self.shared:
                self.anchors[id(node)] = mapping
            self._fill_mapping(node, path, mapping)
            return mapping
        raise AssertionError(f"unknown YAML node {node!r}")  # pragma: no cover - the three kinds above

    def _fill_mapping(self, node: MappingNode, path: JsonPath, mapping: dict[str, Any]) -> None:
        merged: dict[str, Any] = {}
        keys, values = self.doc.key_positions, self.positions
        for key_node, value_node in node.value:
            if key_node.ctag is PLAIN_STR and isinstance(key_node, ScalarNode):
                key = key_node.value  # the common case: what build() would return
            elif key_node.tag == _MERGE_TAG:
                merged = {**self._merge_sources(value_node, path), **merged}
                continue
            elif key_node.tag == STR_TAG and isinstance(key_node, ScalarNode):
                key = key_node.value
            else:
                key = self.build(key_node, (*path, "<key>"))
                key = key if isinstance(key, str) else _key_text(key)
            child = (*path, key)
            mark = key_node.start_mark
            where = (mark.line + 1, mark.column + 1)
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
            keys[child] = where
            if value_node.ctag is PLAIN_STR and isinstance(value_node, ScalarNode):
                mark = value_node.start_mark  # a string value: build()'s first lines, inline
                values[child] = (mark.line + 1, mark.column + 1)
                self.count += 1
                mapping[key] = value_node.value
            else:
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
                        *position_of(source),
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


def position_of(node: Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)
