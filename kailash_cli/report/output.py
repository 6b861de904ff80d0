"""The one place anything is written: results to stdout, everything else to stderr.

Node code that prints is redirected to stderr (prefixed with the node id) while a run
is going on, so stdout carries only results that shell scripts can parse.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from kailash_cli.security.redact import Redactor

if TYPE_CHECKING:
    from rich.console import Console

LineSink = Callable[[str | None, str], None]  # (node id or None, one line of its output)


class Output:
    """Where one command writes: results to stdout, diagnostics to stderr, secrets redacted.

    One is made per invocation (``main.py``) and passed to whatever writes. Streams default
    to ``sys.stdout`` / ``sys.stderr`` as they are at the time of writing. The secret values
    a run resolves are added with :meth:`add_secrets`; from then on every line this output
    writes, errors included, has them replaced by ``***``.
    """

    def __init__(
        self,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        *,
        log_format: str = "text",
        verbose: bool = False,
    ) -> None:
        self._stdout = stdout
        self._stderr = stderr
        self._direct: TextIO | None = None  # during a JSON-logged run: the real stderr
        self.log_format = log_format
        self.verbose = verbose
        self.redactor = Redactor(())

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json"

    @property
    def stdout(self) -> TextIO:
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> TextIO:
        return self._direct or self._stderr or sys.stderr

    def add_secrets(self, values: Iterable[str]) -> None:
        self.redactor = Redactor([*self.redactor.values, *values])

    def redact(self, text: str) -> str:
        return self.redactor.text(text)

    def out(self, text: str) -> None:
        """Write a result to stdout."""
        text = self.redact(text)
        self.stdout.write(text if text.endswith("\n") else text + "\n")
        self.stdout.flush()

    def err(self, text: str) -> None:
        """Write a diagnostic line to stderr."""
        text = self.redact(text)
        self.stderr.write(text if text.endswith("\n") else text + "\n")
        self.stderr.flush()

    def event(self, event: str, level: str = "info", **fields: Any) -> None:
        """One JSON object a line on stderr (``--log-format json``)."""
        record = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "event": event,
            **fields,
        }
        self.err(json.dumps(record, default=str))

    def stderr_is_terminal(self) -> bool:
        return self.stderr.isatty() and os.environ.get("TERM") != "dumb"

    def rich_stderr(self, *, live: bool = False) -> Console:
        from rich.console import Console

        if live:  # rich writes whole renders: redacted without line buffering
            stream: Any = RedactingStream(self.stderr, self.redact, line_buffered=False)
            return Console(file=stream)
        return Console(file=self.stderr, highlight=False, soft_wrap=True)

    @contextmanager
    def node_output(self, current: ContextVar[str | None], sink: LineSink | None = None) -> Iterator[TextIO]:
        """Send what node code prints (Python and its subprocesses) to stderr during a run.

        Each complete line goes to ``sink`` (default: stderr as ``[node] text``). Python-level
        writes to stderr are redacted too; bytes a subprocess or C code writes straight to
        the file descriptors are not seen by Python and cannot be. With JSON logs whatever
        else reaches stderr becomes an event too.
        """
        real, real_err = sys.stdout, sys.stderr
        saved_fd = _redirect_fd1()
        proxy = _NodeOutput(current, sink or self._node_line)
        sys.stdout = proxy  # type: ignore[assignment]
        if sink is not None and self.json_logs:
            self._direct = real_err
            sys.stderr = RedactingStream(  # type: ignore[assignment]
                real_err, self.redact, on_line=lambda line: sink(current.get(), line)
            )
        else:
            sys.stderr = RedactingStream(real_err, self.redact)  # type: ignore[assignment]
        try:
            yield real
        finally:
            proxy.flush()
            sys.stderr.flush()
            sys.stdout, sys.stderr = real, real_err
            self._direct = None
            if saved_fd is not None:
                os.dup2(saved_fd, 1)
                os.close(saved_fd)

    def _node_line(self, node: str | None, line: str) -> None:
        self.err(f"[{node}] {line}" if node else line)


def table(columns: list[tuple[str, int]], rows: list[list[str]]) -> str:
    """Rows under headers, two spaces apart. ``(header, width)``: a negative width right-aligns;
    a column grows past its width to fit the longest value, the last one is not padded."""
    widths = [max([abs(w), len(h)] + [len(r[i]) for r in rows]) for i, (h, w) in enumerate(columns)]

    def line(cells: list[str]) -> str:
        parts = [
            c.rjust(n) if w < 0 else c.ljust(n) for c, n, (_, w) in zip(cells, widths, columns, strict=True)
        ]
        parts[-1] = cells[-1].rjust(widths[-1]) if columns[-1][1] < 0 else cells[-1]
        return "  ".join(parts)

    return "\n".join([line([h for h, _ in columns]), *(line(r) for r in rows)])


class _NodeOutput(io.TextIOBase):
    """Stands in for sys.stdout during a run: lines go to stderr as ``[node] text``."""

    def __init__(self, current: ContextVar[str | None], sink: LineSink) -> None:
        self._current = current
        self._sink = sink
        self._partial: dict[str | None, str] = {}

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        node = self._current.get()
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

    def __init__(
        self,
        real: TextIO,
        redact: Callable[[str], str],
        *,
        line_buffered: bool = True,
        on_line: Callable[[str], None] | None = None,
    ) -> None:
        self.real = real
        self.redact = redact
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
            self.real.write(self.redact(text))
            return len(text)
        buffered = self._partial + text
        complete, _, self._partial = buffered.rpartition("\n")
        if complete or buffered.endswith("\n"):
            self._emit(complete)
        return len(text)

    def _emit(self, lines: str) -> None:
        if self.on_line is None:
            self.real.write(self.redact(lines + "\n"))
            return
        for line in lines.split("\n"):
            self.on_line(line)

    def flush(self) -> None:
        if self._partial:
            partial, self._partial = self._partial, ""
            if self.on_line is None:
                self.real.write(self.redact(partial))
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
