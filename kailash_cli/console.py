"""The one place anything is written: results to stdout, everything else to stderr.

Node code that prints is redirected to stderr (prefixed with the node id) while a run
is going on, so stdout carries only results that shell scripts can parse.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


def out(text: str) -> None:
    """Write a result to stdout."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def err(text: str) -> None:
    """Write a diagnostic line to stderr."""
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


def rich_stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


class _NodeOutput(io.TextIOBase):
    """Stands in for sys.stdout during a run: lines go to stderr as ``[node] text``."""

    def __init__(self, current: object) -> None:
        self._current = current
        self._partial: dict[str | None, str] = {}

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        node = self._current.get()  # type: ignore[attr-defined]
        buffered = self._partial.pop(node, "") + text
        *lines, rest = buffered.split("\n")
        for line in lines:
            err(f"[{node}] {line}" if node else line)
        if rest:
            self._partial[node] = rest
        return len(text)

    def flush(self) -> None:
        for node, rest in list(self._partial.items()):
            err(f"[{node}] {rest}" if node else rest)
        self._partial.clear()


@contextmanager
def node_output_to_stderr(current: object) -> Iterator[TextIO]:
    """Redirect sys.stdout (Python prints) to stderr; yields the real stdout for results."""
    real = sys.stdout
    proxy = _NodeOutput(current)
    sys.stdout = proxy  # type: ignore[assignment]
    try:
        yield real
    finally:
        proxy.flush()
        sys.stdout = real
