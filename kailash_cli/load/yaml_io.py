"""The one place YAML is read: data plus the source position of every key and value.

ruamel.yaml composes the node tree (with its C parser where ruamel.yaml.clib is
installed: its round-trip loader is several times slower on large files); ``Builder``
(``load/yaml_tree.py``) builds plain dicts and lists from it, keeps timestamps as strings,
turns keys into strings, and records ``(line, column)`` (1-based) for each path.
Duplicate keys become problems instead of stopping the load, so every one of them is
reported. A plain block-style file is read line by line first (``load/yaml_fast.py``): the
same data, its tree composed only when a finding asks where something is.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from kailash_cli.load.gcpause import gc_paused
from kailash_cli.load.yaml_fast import read_plain
from kailash_cli.load.yaml_limits import (
    MAX_DEPTH,
    MAX_YAML_BYTES,
    UnreadableFile,
    read_limited,
    too_deep,
    within_limit,
)
from kailash_cli.load.yaml_plain import build_data, locate, position_tables
from kailash_cli.load.yaml_resolver import plain_tags, safe_yaml
from kailash_cli.load.yaml_tree import MAX_VALUES, TooDeep, TooLarge
from kailash_cli.model.result import Problem
from kailash_cli.security.credentials import hide_credentials

#: the path that means standard input (``validate -``, ``run -``, ``--params-file -``)
STDIN = "-"
#: how findings name standard input
STDIN_NAME = "<stdin>"
#: positions looked up in a document's tree before its tables are made (each lookup reads
#: the mappings along the path; the tables cost about a hundred lookups on a large file)
_LOOKUPS = 16
JsonPath = tuple[str | int, ...]
Position = tuple[int, int]


@dataclass
class Document:
    """A loaded YAML file: ``data`` and where each path stands in ``file``."""

    file: str
    data: Any
    problems: list[Problem] = field(default_factory=list)
    tree: Any = None  # the composed tree, when positions are found in it on demand
    source: str | None = field(default=None, repr=False)  # the text, when its tree is not composed yet
    _lookups: int = field(default=0, repr=False)
    _tables: tuple[dict[JsonPath, Position], dict[JsonPath, Position]] | None = field(
        default=None, repr=False
    )

    @property
    def key_positions(self) -> dict[JsonPath, Position]:
        """Where each key is, by the path of its value (made from the tree when first read)."""
        return self._positions()[0]

    @property
    def value_positions(self) -> dict[JsonPath, Position]:
        """Where each value is, by its path."""
        return self._positions()[1]

    def _positions(self) -> tuple[dict[JsonPath, Position], dict[JsonPath, Position]]:
        if self._tables is None:
            tree = self._tree()
            self._tables = ({}, {}) if tree is None else position_tables(tree)
        return self._tables

    def _tree(self) -> Any:
        """The composed tree; that of a file read without ruamel.yaml, composed when first asked."""
        if self.tree is None and self.source is not None:
            text, self.source = self.source, None
            with contextlib.suppress(YAMLError):  # pragma: no branch - the text was read already
                self.tree = safe_yaml().compose(text)
        return self.tree

    def position(self, path: JsonPath, *, key: bool = False) -> Position | None:
        """Position of the value at ``path`` (or its key), else of the nearest parent."""
        if self._tables is None and self._lookups < _LOOKUPS and self._tree() is not None:
            self._lookups += 1  # each walks the mappings on the path: many make the tables once
            return locate(self.tree, path, key=key)
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
        message, fix = hide_credentials(message), fix and hide_credentials(fix)  # a value quoted may be one
        return Problem(id_, severity, message, self.file, line, col, fix)


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
    yaml = safe_yaml()
    try:
        text.encode("utf-8")  # what the C parser does first: a lone surrogate cannot be
    except UnicodeEncodeError as e:
        before = text[: e.start]
        line, col = before.count("\n") + 1, e.start - (before.rfind("\n") + 1) + 1
        fix = "remove it, or write the character as an escape"
        doc.problems.append(
            Problem("KV002", "error", "text holds a lone surrogate (not Unicode)", file, line, col, fix)
        )
        return doc
    data = read_plain(text, yaml.constructor, plain_tags(yaml))
    if data is not None:  # positions are found in the tree, composed if a finding asks for one
        doc.data, doc.source = data, text
        return doc
    deep = too_deep(text)
    if deep is not None:
        doc.problems.append(_too_deep(file, deep))
        return doc
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
            doc.data = build_data(doc, yaml, node, shared="&" in text)
        except TooLarge as e:
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
        except TooDeep as e:
            doc.data = None
            doc.problems.append(_too_deep(file, e.args[0], " through aliases"))
        except MarkedYAMLError as e:  # e.g. an unknown !tag
            doc.problems.append(_marked_problem(e, file, "YAML value error", "fix the value"))
        except (YAMLError, ValueError) as e:
            message = str(e).splitlines()[0] if str(e) else type(e).__name__
            doc.problems.append(
                Problem("KV003", "error", f"YAML value error: {message}", file, None, None, "fix the value")
            )
    return doc


def _too_deep(file: str, where: Position, how: str = "") -> Problem:
    return Problem(
        "KV003",
        "error",
        f"the document nests collections more than {MAX_DEPTH} levels deep{how}",
        file,
        *where,
        "flatten the data (or read it from a JSON file with JSONReaderNode)",
    )


def _marked_problem(e: MarkedYAMLError, file: str, what: str, fix: str) -> Problem:
    mark = e.problem_mark or e.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
    text = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
    return Problem("KV003", "error", f"{what}: {text}", file, line, col, fix)


def _unread(file: str, why: str, fix: str) -> Document:
    doc = Document(file=file, data=None)
    doc.problems.append(Problem("KV001", "error", f"cannot read file: {why}", file, None, None, fix))
    return doc


def load(path: Path, display: str | None = None) -> Document:
    """Read and parse one YAML file (``-``: standard input); every problem is recorded on
    the Document."""
    stdin = is_stdin(path)
    file = display or (STDIN_NAME if stdin else str(path))
    fix = "pipe a file in (- < wf.yaml)" if stdin else "check the path and its permissions"
    try:
        raw = read_stdin() if stdin else read_limited(path)
    except OSError as e:
        return _unread(file, e.strerror or str(e), fix)
    except UnreadableFile as e:
        return _unread(file, e.args[0], "give a regular YAML file of a sensible size")
    text, problem = _decode(raw, file)
    if text is None:
        doc = Document(file=file, data=None)
        doc.problems.append(problem)  # type: ignore[arg-type]
        return doc
    return load_text(text, file)


def display_path(path: Path) -> str:
    """``path`` as a user would type it here: relative below the current folder."""
    if is_stdin(path):
        return STDIN_NAME
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def is_stdin(path: Path) -> bool:
    return str(path) == STDIN


def read_stdin() -> bytes:
    """Standard input, all of it; a terminal is refused (kailash would wait for typing)."""
    if sys.stdin is None or sys.stdin.closed:
        raise OSError(0, "there is no standard input")
    if sys.stdin.isatty():
        raise OSError(0, "standard input is a terminal, not a file")
    return within_limit(sys.stdin.buffer.read(MAX_YAML_BYTES + 1))
