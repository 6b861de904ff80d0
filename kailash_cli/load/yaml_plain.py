"""Data without positions: most files have no anchor, merge key or key that is not text.

For those, :func:`build_plain` builds the data alone (what ``Builder`` makes of the tree),
and :func:`locate` finds a position in the composed tree only when a finding asks for one:
recording every position as ``Builder`` does cost four times the building itself on a
10,000-node file. :func:`position_tables` makes ``Builder``'s tables from such a tree for
whoever reads them whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kailash_cli.load.yaml_tree import PLAIN_STR, STR_TAG, STRING_TAGS, Builder, position_of
from kailash_cli.model.result import Problem

if TYPE_CHECKING:  # for annotations only: yaml_io imports this module
    from kailash_cli.load.yaml_io import Document, JsonPath, Position


class NeedsTables(Exception):
    """The tree has a merge key or a key that is not text: ``Builder`` records its positions."""


def build_plain(node: Node, constructor: Any, problems: list[Problem], file: str) -> Any:
    """The data of a tree without aliases, merge keys or keys that are not text (else
    ``NeedsTables``), what ``Builder`` makes of it; its positions are found by ``locate``."""
    if isinstance(node, ScalarNode):
        if node.ctag is PLAIN_STR or node.tag in STRING_TAGS:
            return node.value
        return constructor.construct_object(node, deep=True)
    if isinstance(node, SequenceNode):
        return [build_plain(item, constructor, problems, file) for item in node.value]
    mapping: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode) or (
            key_node.ctag is not PLAIN_STR and key_node.tag != STR_TAG
        ):
            raise NeedsTables
        key = key_node.value
        if key in mapping:
            fix = "remove one of the two entries; the last one wins"
            problems.append(
                Problem("KV004", "error", f"duplicate key '{key}'", file, *position_of(key_node), fix)
            )
        if value_node.ctag is PLAIN_STR and isinstance(value_node, ScalarNode):
            mapping[key] = value_node.value
        else:
            mapping[key] = build_plain(value_node, constructor, problems, file)
    return mapping


def locate(root: Node, path: JsonPath, *, key: bool = False) -> Position | None:
    """Where the value at ``path`` (or its key) of a ``build_plain`` tree is, else its nearest
    parent: what ``Builder``'s tables say (the last of duplicate keys; ``<key>`` has no value
    position, as the tables drop it)."""
    node, found = root, None if key else position_of(root)
    for step in path:
        if isinstance(node, MappingNode) and isinstance(step, str):
            pairs = [pair for pair in node.value if pair[0].value == step]
            if not pairs:
                break
            key_node, node = pairs[-1]
            if key:
                found = position_of(key_node)
            elif step != "<key>":
                found = position_of(node)
        elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            found = found if key else position_of(node)
        else:
            break
    return found


def position_tables(root: Node) -> tuple[dict[JsonPath, Position], dict[JsonPath, Position]]:
    """The key and value positions of a ``build_plain`` tree, as ``Builder`` records them."""
    keys: dict[JsonPath, Position] = {}
    values: dict[JsonPath, Position] = {}

    def walk(node: Node, path: JsonPath) -> None:
        values[path] = position_of(node)
        if isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))
        elif isinstance(node, MappingNode):
            seen = set()
            for key_node, value_node in node.value:
                child = (*path, key_node.value)
                if key_node.value in seen:  # the last one wins
                    for table in (keys, values):
                        for stale in [p for p in table if p[: len(child)] == child]:
                            del table[stale]
                seen.add(key_node.value)
                keys[child] = position_of(key_node)
                walk(value_node, child)
            values.pop((*path, "<key>"), None)

    walk(root, ())
    return keys, values


def build_data(doc: Document, yaml: YAML, node: Any, *, shared: bool) -> Any:
    """The data; positions looked up in the tree later unless it has anchors (aliases),
    merge keys or keys that are not text: those record them as they are built."""
    if not shared:
        found: list[Problem] = []
        try:
            data = build_plain(node, yaml.constructor, found, doc.file)
        except NeedsTables:
            pass  # Builder starts again, and reports the duplicate keys again
        except BaseException:
            doc.problems.extend(found)  # the duplicate keys before a value that cannot be built
            raise
        else:
            doc.problems.extend(found)
            doc.tree = node
            return data
    return Builder(doc, yaml, shared=shared).build(node, ())
