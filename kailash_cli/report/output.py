"""The one place kailash writes: results to stdout, everything else to stderr.

What node code prints is taken off stdout while a run goes on (``report/capture.py``),
so stdout carries only results that shell scripts can parse.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from kailash_cli.report.capture import original_streams
from kailash_cli.security.redact import Redactor

if TYPE_CHECKING:
    from rich.console import Console


class Output:
    """Where one command writes: results to stdout, diagnostics to stderr, secrets redacted.

    One is made per invocation (``main.py``) and passed to whatever writes. Streams default
    to the process's stdout and stderr as they are at the time of writing (outside the
    capture of node output while a run goes on). The secret values
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
        self.log_format = log_format
        self.verbose = verbose
        self.redactor = Redactor(())

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
