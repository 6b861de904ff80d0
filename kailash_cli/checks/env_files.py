"""Env files (``--env-file``, ``.env*``) in the usual dotenv syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EnvEntry:
    key: str
    value: str
    file: Path
    line: int
    column: int


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def parse_env(text: str, file: Path) -> list[EnvEntry]:
    """``KEY=value`` entries: ``export``, comments, single/double quotes (multi-line too)."""
    entries: list[EnvEntry] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _ENV_LINE.match(lines[index])
        start = index
        index += 1
        if not match:
            continue
        key, raw = match.group(1), match.group(2)
        column = match.start(2) + 1
        if raw[:1] in ("'", '"'):
            quote, body = raw[0], raw[1:]
            while _closing(body, quote) < 0 and index < len(lines):
                body += "\n" + lines[index]
                index += 1
            end = _closing(body, quote)
            value = body if end < 0 else body[:end]
            if quote == '"':
                value = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), value)
        else:
            value = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
        entries.append(EnvEntry(key, value, file, start + 1, column))
    return entries


def _closing(body: str, quote: str) -> int:
    escaped = False
    for i, char in enumerate(body):
        if quote == '"' and char == "\\" and not escaped:
            escaped = True
            continue
        if char == quote and not escaped:
            return i
        escaped = False
    return -1
