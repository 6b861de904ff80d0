"""systemd unit files: sections, directives and the variables ``Environment=`` sets."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

_DIRECTIVE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$")


def directives(lines: list[str]) -> Iterator[tuple[int, int, str, str, str]]:
    """(line, column of the value, section, directive, value), continuation lines joined."""
    section = ""
    index = 0
    while index < len(lines):
        start, raw = index, lines[index]
        index += 1
        while raw.endswith("\\") and index < len(lines):
            raw = raw[:-1] + " " + lines[index].strip()
            index += 1
        stripped = raw.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            continue
        match = _DIRECTIVE.match(raw)
        if match and not stripped.startswith(("#", ";")):
            yield start + 1, match.start(2) + 1, section, match.group(1), match.group(2)


def systemd_environment(lines: list[str]) -> Iterator[tuple[int, int, str, str]]:
    """(line, column, name, value) of every ``Environment=`` assignment (quoted or not)."""
    for line, column, _, key, value in directives(lines):
        if key != "Environment":
            continue
        try:
            words = shlex.split(value)
        except ValueError:  # an unclosed quote: systemd ignores the line too
            continue
        for word in words:
            name, sep, assigned = word.partition("=")
            if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                yield line, column, name, assigned
