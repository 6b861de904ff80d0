"""Limits on YAML input, checked before anything deep or large is built from it.

ruamel.yaml's C composer recurses once per nesting level without a guard (30,000 levels
end the process with SIGSEGV), and every walker after it (the tree builder, the schema
checks, expressions, the redactor) recurses too. So the depth is measured first over the
event stream, which libyaml produces with a loop, not recursion; files are read only when
they are regular files, and only up to ``MAX_YAML_BYTES`` (a FIFO or a ``/dev/zero``
symlink named ``*.yaml`` in a pull request must not hang or fill memory).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

#: collections nested in each other, aliases followed; real workflows use about ten
MAX_DEPTH = 100
#: bytes of one workflow, config or params file (a 10,000-node workflow is about 1 MB)
MAX_YAML_BYTES = 10_000_000
#: paths read as a stream although they are not regular files: standard input
STDIN_PATHS = frozenset({"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})


class UnreadableFile(Exception):
    """The file is not read; args: why, worded for "cannot read file: ..."."""


def read_limited(path: Path) -> bytes:
    """The bytes of ``path``, a regular file (or standard input) of at most MAX_YAML_BYTES.

    The limit holds while reading, so a file that grows after a size check is still cut
    short. Raises ``UnreadableFile`` (or ``OSError`` from the system) otherwise.
    """
    if str(path) not in STDIN_PATHS:
        mode = os.stat(path).st_mode  # follows symlinks: what would be read
        if not stat.S_ISREG(mode):
            raise UnreadableFile(f"it is {_kind(mode)}, not a regular file")
    with open(path, "rb") as stream:
        return within_limit(stream.read(MAX_YAML_BYTES + 1))


def within_limit(raw: bytes) -> bytes:
    """``raw``, read as at most MAX_YAML_BYTES + 1 bytes; UnreadableFile when it is over."""
    if len(raw) > MAX_YAML_BYTES:
        limit = (
            f"{MAX_YAML_BYTES // 1_000_000} MB"
            if MAX_YAML_BYTES >= 1_000_000
            else f"{MAX_YAML_BYTES:,} bytes"
        )
        raise UnreadableFile(f"it is larger than {limit}")
    return raw


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"  # pragma: no cover - every other kind is listed above


def too_deep(text: str) -> tuple[int, int] | None:
    """Where (1-based line, column) ``text`` first nests collections deeper than MAX_DEPTH;
    None when it does not (or does not parse: the composer then reports the syntax error,
    and it stops at the same event, before going deeper than the limit)."""
    if _rough_bound(text) <= MAX_DEPTH or _depth_bound(text) <= MAX_DEPTH:
        return None
    depth = 0
    try:
        for event in YAML(typ="safe").parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return (mark.line + 1, mark.column + 1)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        return None
    return None


def _rough_bound(text: str) -> int:
    """A looser bound than :func:`_depth_bound`, at a fraction of its cost on large files:
    a line's inline collections need two characters each, so the longest line bounds them."""
    lines = text.splitlines()
    longest = max(map(len, lines), default=0)
    indent = max((len(line) - len(line.lstrip(" ")) for line in lines), default=0)
    return text.count("[") + text.count("{") + 2 * (indent + 1) + longest // 2


def _depth_bound(text: str) -> int:
    """An upper bound of the nesting depth, cheap to compute, so most files skip the parse.

    Flow collections need a ``[`` or ``{`` each. A block collection starts either where a
    line's content starts, or inline after an indicator (``- ``, ``? ``, ``: ``). Along one
    chain of nested block collections the start columns never decrease and at most two
    share a column (a sequence as a mapping's value), and a collection on a later line is
    indented past every inline one before it: so at most two per indentation column, plus
    the inline ones of the chain's last line.
    """
    indent = inline = 0
    for line in text.splitlines():
        content = line.lstrip(" ")
        indent = max(indent, len(line) - len(content))
        if "- " in content or "? " in content or ": " in content:
            inline = max(inline, content.count("- ") + content.count("? ") + content.count(": "))
    return text.count("[") + text.count("{") + 2 * (indent + 1) + inline
