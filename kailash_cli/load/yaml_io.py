"""The one place YAML is read: data plus the source position of every key and value.

ruamel.yaml composes the node tree (with its C parser where ruamel.yaml.clib is
installed: its round-trip loader is several times slower on large files); this module
builds plain dicts and lists from it, keeps timestamps as strings, turns keys into
strings, and records ``(line, column)`` (1-based) for each path. Duplicate keys become
problems instead of stopping the load, so every one of them is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver

from kailash_cli.load.gcpause import gc_paused
from kailash_cli.model.result import Problem

JsonPath = tuple[str | int, ...]
Position = tuple[int, int]
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_STRING_TAGS = {_STR_TAG, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}


class _Resolver(VersionedResolver):  # type: ignore[misc]
    """ruamel's resolver, picking its implicit-tag rules once per document.

    The stock one looks the YAML version up again for every scalar (through attribute
    lookups that fail with the C parser); a document is composed under one version.
    """

    _rules: Any = None

    @property
    def versioned_resolver(self) -> Any:
        if self._rules is None:
            self._rules = super().versioned_resolver
        return self._rules


@dataclass
class Document:
    """A loaded YAML file: ``data`` and where each path stands in ``file``."""

    file: str
    data: Any
    key_positions: dict[JsonPath, Position] = field(default_factory=dict)
    value_positions: dict[JsonPath, Position] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def position(self, path: JsonPath, *, key: bool = False) -> Position | None:
        """Position of the value at ``path`` (or its key), else of the nearest parent."""
        table = self.key_positions if key else self.value_positions
        for end in range(len(path), -1, -1):
            found = table.get(path[:end])
            if found is not None:
                return found
        return None

    def problem(
        self,
        id_: str,
        message: str,
        path: JsonPath,
        *,
        fix: str | None = None,
        key: bool = False,
        severity: str = "error",
    ) -> Problem:
        line, col = self.position(path, key=key) or (None, None)
        return Problem(id_, severity, message, self.file, line, col, fix)


#: values a document may expand to through aliases ("billion laughs" stops here)
MAX_VALUES = 1_000_000


class _TooLarge(Exception):
    """The data expands past MAX_VALUES through aliases; args: where the alias is used."""


class _Builder:
    def __init__(self, doc: Document, yaml: YAML) -> None:
        self.doc = doc
        self.constructor = yaml.constructor
        self.anchors: dict[int, Any] = {}
        self.building: set[int] = set()
        self.count = 0  # values of the data so far, aliases expanded
        self.sizes: dict[int, int] = {}  # values under each collection node, aliases expanded

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
                raise _TooLarge(self.doc.position(path, key=True) or _pos(node))
            return known
        self.building.add(id(node))
        start = self.count
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


def _decode(raw: bytes, file: str) -> tuple[str | None, Problem | None]:
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        before = raw[: e.start]
        line = before.count(b"\n") + 1
        col = e.start - (before.rfind(b"\n") + 1) + 1
        return None, Problem(
            "KV002",
            "error",
            f"file is not UTF-8 (byte 0x{raw[e.start]:02x})",
            file,
            line,
            col,
            "save the file as UTF-8",
        )


@gc_paused()
def load_text(text: str, file: str) -> Document:
    """Parse ``text``; syntax errors become a located KV003 problem, data None."""
    doc = Document(file=file, data=None)
    yaml = YAML(typ="safe")
    yaml.Resolver = _Resolver
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as e:
        doc.problems.append(
            _marked_problem(e, file, "YAML syntax error", "fix the YAML syntax at this position")
        )
        return doc
    except ReaderError as e:  # a control character; position counts characters of the text
        before = text[: e.position]
        line, col = before.count("\n") + 1, e.position - (before.rfind("\n") + 1) + 1
        char = e.character if isinstance(e.character, int) else ord(e.character)
        doc.problems.append(
            Problem(
                "KV003",
                "error",
                f"YAML error: character #x{char:04x} is not allowed ({e.reason})",
                file,
                line,
                col,
                "remove it, or write it as an escape inside double quotes",
            )
        )
        return doc
    except YAMLError as e:  # pragma: no cover - ruamel raises the two above for text input
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        doc.problems.append(
            Problem("KV003", "error", f"YAML error: {message}", file, 1, 1, "fix the YAML syntax")
        )
        return doc
    if node is not None:
        try:
            doc.data = _Builder(doc, yaml).build(node, ())
        except _TooLarge as e:
            doc.data = None  # nothing walks the expanded data
            line, column = e.args[0]
            doc.problems.append(
                Problem(
                    "KV003",
                    "error",
                    f"the document expands to more than {MAX_VALUES:,} values through aliases",
                    file,
                    line,
                    column,
                    "use fewer nested aliases (*name): each one repeats the whole value it names",
                )
            )
        except MarkedYAMLError as e:  # e.g. an unknown !tag
            doc.problems.append(_marked_problem(e, file, "YAML value error", "fix the value"))
        except (YAMLError, ValueError) as e:
            message = str(e).splitlines()[0] if str(e) else type(e).__name__
            doc.problems.append(
                Problem("KV003", "error", f"YAML value error: {message}", file, None, None, "fix the value")
            )
    return doc


def _marked_problem(e: MarkedYAMLError, file: str, what: str, fix: str) -> Problem:
    mark = e.problem_mark or e.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
    text = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
    return Problem("KV003", "error", f"{what}: {text}", file, line, col, fix)


def load(path: Path, display: str | None = None) -> Document:
    """Read and parse one YAML file; every problem is recorded on the Document."""
    file = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        doc = Document(file=file, data=None)
        doc.problems.append(
            Problem(
                "KV001",
                "error",
                f"cannot read file: {e.strerror}",
                file,
                None,
                None,
                "check the path and its permissions",
            )
        )
        return doc
    text, problem = _decode(raw, file)
    if text is None:
        doc = Document(file=file, data=None)
        doc.problems.append(problem)  # type: ignore[arg-type]
        return doc
    return load_text(text, file)
