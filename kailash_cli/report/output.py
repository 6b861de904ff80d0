"""The one place kailash writes: results to stdout, everything else to stderr.

What node code prints is taken off stdout while a run goes on (``report/capture.py``),
so stdout carries only results that shell scripts can parse.
"""

from __future__ import annotations

import copy
import io
import json
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from kailash_cli.model.result import Problem, text_line
from kailash_cli.report.capture import original_streams
from kailash_cli.report.visible import visible, visible_problem
from kailash_cli.security.redact import Redactor

if TYPE_CHECKING:
    from rich.console import Console

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}


class Output:
    """Where one command writes: results to stdout, diagnostics to stderr, secrets redacted.

    One is made per invocation (``main.py``) and passed to whatever writes. Streams default
    to the process's stdout and stderr as they are at the time of writing (outside the
    capture of node output while a run goes on). The secret values
    a run resolves are added with :meth:`add_secrets`; from then on every line this output
    writes, errors included, has them replaced by ``***``. ``quiet`` (``-q``) keeps only
    errors on stderr; :meth:`bind` gives a copy whose JSON events carry extra fields.
    """

    def __init__(
        self,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        *,
        log_format: str = "text",
        verbose: bool = False,
        quiet: bool = False,
    ) -> None:
        self._stdout = stdout
        self._stderr = stderr
        self.log_format = log_format
        self.verbose = verbose
        self.quiet = quiet
        self.fields: dict[str, Any] = {}
        self.redactor = Redactor(())

    def bind(self, **fields: Any) -> Output:
        """A copy (same streams and options, the secrets known so far) whose JSON events all
        carry ``fields`` (None values are left out); secrets added to the copy stay its own."""
        bound = copy.copy(self)
        bound.fields = {**self.fields, **{k: v for k, v in fields.items() if v is not None}}
        return bound

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json"

    @property
    def stdout(self) -> TextIO:
        return self._stdout or original_streams()[0]

    @property
    def stderr(self) -> TextIO:  # never the capture of a run going on: that is for node code
        return self._stderr or original_streams()[1]

    def add_secrets(self, values: Iterable[str]) -> None:
        self.redactor = Redactor([*self.redactor.secrets, *values])

    def redact(self, text: str) -> str:
        return self.redactor.text(text)

    def out(self, text: str) -> None:
        """Write a result to stdout (user text in it cannot drive the terminal)."""
        text = visible(self.redact(text), keep="\n\t")
        self.stdout.write(text if text.endswith("\n") else text + "\n")
        self.stdout.flush()

    def shows(self, level: str) -> bool:
        """Whether a line of ``level`` is written: with ``quiet``, errors only."""
        return not self.quiet or LEVELS.get(level, LEVELS["info"]) >= LEVELS["error"]

    def err(self, text: str, level: str | None = None) -> None:
        """Write a diagnostic line to stderr; with ``quiet`` only errors, with JSON logs as a
        ``message`` event. Without a ``level``, a text starting ``error`` is an error, one
        starting ``warning`` a warning, any other is info."""
        level = level or _level_of(text)
        if not self.shows(level):
            return
        if self.json_logs:
            self.event("message", level, message=text.rstrip("\n"))
        else:
            self._write(text)

    def _write(self, text: str) -> None:
        text = visible(self.redact(text), keep="\n\t")  # user text must not drive the terminal
        self.stderr.write(text if text.endswith("\n") else text + "\n")
        self.stderr.flush()

    def note(self, text: str) -> None:
        """Write an informative line to stderr (progress, summaries); ``quiet`` drops it."""
        self.err(text, "info")

    def event(self, event: str, level: str = "info", **fields: Any) -> None:
        """One JSON object a line on stderr (``--log-format json``), with the bound fields."""
        if self.shows(level):
            self.kept_event(event, level, **fields)

    def kept_event(self, event: str, level: str, **fields: Any) -> None:
        """:meth:`event`, written with ``quiet`` too (what node code writes to its stderr)."""
        record = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "event": event,
            **self.fields,
            **fields,
        }
        self._write(json.dumps(record, default=str))

    def finding(self, problem: Problem, level: str | None = None) -> None:
        """A finding on stderr: its text line, or with JSON logs a ``finding`` event."""
        if self.json_logs:
            self.event("finding", level or problem.severity, **problem.to_dict())
        else:
            self.err(text_line(visible_problem(problem)), level or problem.severity)

    def stderr_is_terminal(self) -> bool:
        return self.stderr.isatty() and os.environ.get("TERM") != "dumb"

    def live_console(self) -> Console:
        """A rich console on stderr for the live view; what it writes is redacted."""
        from rich.console import Console

        stream: Any = RedactingStream(self.stderr, self.redact)
        return Console(file=stream)


def _level_of(text: str) -> str:
    start = text.lstrip().lower()
    return "error" if start.startswith("error") else "warning" if start.startswith("warning") else "info"


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


class RedactingStream(io.TextIOBase):
    """Writes to ``real`` with secret values redacted; for rich's live view, which writes
    whole renders (node output, written in pieces, is redacted line by line in
    ``report/capture.py``)."""

    def __init__(self, real: TextIO, redact: Callable[[str], str]) -> None:
        self.real = real
        self.redact = redact

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.real.isatty()

    def fileno(self) -> int:
        return self.real.fileno()

    def write(self, text: str) -> int:
        self.real.write(self.redact(text))
        return len(text)

    def flush(self) -> None:
        self.real.flush()
