"""The one place anything is written: results to stdout, everything else to stderr.

Node code that prints is redirected to stderr (prefixed with the node id) while a run
is going on, so stdout carries only results that shell scripts can parse.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


_redact: Callable[[str], str] | None = None


def set_redactor(redact: Callable[[str], str] | None) -> None:
    """From now on every line written (stdout and stderr) passes through ``redact``."""
    global _redact
    _redact = redact


def redact_text(text: str) -> str:
    return _redact(text) if _redact is not None else text


def out(text: str) -> None:
    """Write a result to stdout."""
    text = redact_text(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


_direct: TextIO | None = None  # during a JSON-logged run: the real stderr


def err(text: str) -> None:
    """Write a diagnostic line to stderr."""
    text = redact_text(text)
    stream = _direct or sys.stderr
    stream.write(text if text.endswith("\n") else text + "\n")
    stream.flush()


def table(columns: list[tuple[str, int]], rows: list[list[str]]) -> str:
    """Rows under headers, two spaces apart. ``(header, width)``: a negative width right-aligns;
    a column grows past its width to fit the longest value, the last one is not padded."""
    widths = [max([abs(w), len(h)] + [len(r[i]) for r in rows]) for i, (h, w) in enumerate(columns)]

    def line(cells: list[str]) -> str:
        parts = [c.rjust(n) if w < 0 else c.ljust(n)
                 for c, n, (_, w) in zip(cells, widths, columns, strict=True)]
        parts[-1] = cells[-1].rjust(widths[-1]) if columns[-1][1] < 0 else cells[-1]
        return "  ".join(parts)

    return "\n".join([line([h for h, _ in columns]), *(line(r) for r in rows)])


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


def rich_stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


LineSink = Callable[[str | None, str], None]  # (node id or None, one line of its output)


def _to_stderr(node: str | None, line: str) -> None:
    err(f"[{node}] {line}" if node else line)


class _NodeOutput(io.TextIOBase):
    """Stands in for sys.stdout during a run: lines go to stderr as ``[node] text``."""

    def __init__(self, current: object, sink: LineSink | None = None) -> None:
        self._current = current
        self._sink = sink or _to_stderr
        self._partial: dict[str | None, str] = {}

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        node = self._current.get()  # type: ignore[attr-defined]
        buffered = self._partial.pop(node, "") + text
        *lines, rest = buffered.split("\n")
        for line in lines:
            self._sink(node, line)
        if rest:
            self._partial[node] = rest
        return len(text)

    def flush(self) -> None:
        for node, rest in list(self._partial.items()):
            self._sink(node, rest)
        self._partial.clear()


class RedactingStream(io.TextIOBase):
    """A text stream that redacts secret values before they reach ``real``.

    Line-buffered by default, so a value written in pieces (``print`` writes each argument
    separately) is still whole when it is redacted; rich's console writes whole renders
    and uses the unbuffered mode.
    """

    def __init__(self, real: TextIO, *, line_buffered: bool = True,
                 on_line: Callable[[str], None] | None = None) -> None:
        self.real = real
        self.line_buffered = line_buffered
        self.on_line = on_line  # instead of writing: hand each complete line over (JSON logs)
        self._partial = ""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.real.isatty()

    def fileno(self) -> int:
        return self.real.fileno()

    def write(self, text: str) -> int:
        if not self.line_buffered:
            self.real.write(redact_text(text))
            return len(text)
        buffered = self._partial + text
        complete, _, self._partial = buffered.rpartition("\n")
        if complete or buffered.endswith("\n"):
            self._emit(complete)
        return len(text)

    def _emit(self, lines: str) -> None:
        if self.on_line is None:
            self.real.write(redact_text(lines + "\n"))
            return
        for line in lines.split("\n"):
            self.on_line(line)

    def flush(self) -> None:
        if self._partial:
            partial, self._partial = self._partial, ""
            if self.on_line is None:
                self.real.write(redact_text(partial))
            else:
                self.on_line(partial)
        self.real.flush()


def _redirect_fd1() -> int | None:
    """Point file descriptor 1 at stderr (subprocesses of node code); the saved copy, or None."""
    try:
        if sys.stdout.fileno() != 1:
            return None
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
        return saved
    except (AttributeError, OSError, io.UnsupportedOperation):  # stdout is not a real file
        return None


@contextmanager
def node_output_to_stderr(current: object, sink: LineSink | None = None) -> Iterator[TextIO]:
    """Send what node code prints (Python and its subprocesses) to stderr during a run.

    Each complete line goes to ``sink`` (default: stderr as ``[node] text``). Python-level
    writes to stderr are redacted too; bytes a subprocess or C code writes straight to the
    file descriptors are not seen by Python and cannot be.
    """
    global _direct
    real, real_err = sys.stdout, sys.stderr
    saved_fd = _redirect_fd1()
    proxy = _NodeOutput(current, sink)
    sys.stdout = proxy  # type: ignore[assignment]
    if sink is not None:  # JSON logs: whatever else reaches stderr becomes an event too
        _direct = real_err
        sys.stderr = RedactingStream(real_err, on_line=lambda line: sink(current.get(), line))  # type: ignore[attr-defined,assignment]
    else:
        sys.stderr = RedactingStream(real_err)  # type: ignore[assignment]
    try:
        yield real
    finally:
        proxy.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = real, real_err
        _direct = None
        if saved_fd is not None:
            os.dup2(saved_fd, 1)
            os.close(saved_fd)
