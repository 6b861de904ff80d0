"""The stand-ins for sys.stdout and sys.stderr while runs go on (see ``capture``): they cut
what is written into lines, per run and node, and hand each complete line to the capture."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TextIO

from kailash_cli.engine.context import CURRENT_NODE, CURRENT_RUN

LineSink = Callable[[str | None, str], None]  # (node id or None, one line it printed)
LogSink = Callable[[str | None, str, str], bool]  # (node, level, message): True when it took it
Label = Callable[[str | None, str], str]  # (node, line): the line as a text log shows it


@dataclass(frozen=True)
class Route:
    """Where one run's node output goes."""

    sink: LineSink  # stdout lines
    redact: Callable[[str], str]  # the run's secrets out of text
    stderr_to_sink: bool = False  # JSON logs: stderr lines are events too
    stderr_sink: LineSink | None = None  # stderr lines, when they go elsewhere than ``sink``
    log: LogSink | None = None  # logging records of node code (else: stderr lines)
    secrets: Callable[[], Iterable[str]] = tuple  # the run's secret values, remembered for good
    log_level: int = 30  # logging records below it are dropped (WARNING; DEBUG with -v)
    masked: Callable[[str], str] | None = None  # the run's masked values out of text (masking_rules)


class Capture(Protocol):
    def route(self, run: str | None) -> tuple[Route | None, bool]: ...
    def redact_all(self, text: str) -> str: ...
    def text(self, node: str | None, line: str) -> str: ...


class Lines(io.TextIOBase):
    """Stands in for sys.stdout or sys.stderr: complete lines are routed, per run and node."""

    def __init__(self, capture: Capture, err: TextIO, *, is_stderr: bool) -> None:
        self.capture = capture
        self.real_err = err
        self.is_stderr = is_stderr
        self.partial: dict[tuple[str | None, str | None], str] = {}
        self.cut: set[tuple[str | None, str | None]] = set()  # partial lines written out early
        self.lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        key = (CURRENT_RUN.get(), CURRENT_NODE.get())
        with self.lock:
            if key in self.cut and text:  # the line was written out: its newline ends nothing
                self.cut.discard(key)
                text = text.removeprefix("\n")
            buffered = self.partial.pop(key, "") + text
            *lines, rest = buffered.split("\n")
            if rest:
                self.partial[key] = rest
        for line in lines:
            self._emit(key, line)
        return len(text)

    def _emit(self, key: tuple[str | None, str | None], line: str) -> None:
        node = key[1]
        route, known = self.capture.route(key[0])
        if not known:  # a thread's, or a run's that ended: hide every secret ever seen
            line = self.capture.redact_all(line if route is None else route.redact(line))
        if route is None:
            self.real_err.write(self.capture.text(node, line) + "\n")
        elif self.is_stderr and route.stderr_sink is not None:
            route.stderr_sink(node, line)
        elif not self.is_stderr or route.stderr_to_sink:
            route.sink(node, line)
        else:
            self.real_err.write(self.capture.text(node, route.redact(line)) + "\n")
        self.real_err.flush()

    def flush(self) -> None:
        """``print(..., flush=True)``: the caller's own partial line written out (never another
        thread's: its line may be half written), unless it ends with the start of a secret:
        the rest may follow in the next write, and only the whole can be redacted."""
        key = (CURRENT_RUN.get(), CURRENT_NODE.get())
        with self.lock:
            rest = self.partial.get(key)
        if rest and self._may_continue_a_secret(key[0], rest):
            return
        self._write_out([key])

    def _may_continue_a_secret(self, run: str | None, text: str) -> bool:
        route, _ = self.capture.route(run)
        for secret in route.secrets() if route is not None else ():
            for size in range(min(len(secret) - 1, len(text)), 0, -1):
                if text.endswith(secret[:size]):
                    return True
        return False

    def drain(self, run: str | None = None) -> None:
        """Write out partial lines: every run's, or only ``run``'s (and its threads')."""
        with self.lock:
            keys = [k for k in self.partial if run is None or k[0] in (run, None)]
        self._write_out(keys)

    def _write_out(self, keys: list[tuple[str | None, str | None]]) -> None:
        with self.lock:
            pending = [(k, self.partial.pop(k)) for k in keys if k in self.partial]
            self.cut.update(k for k, _ in pending)
        for key, rest in pending:
            self._emit(key, rest)


def redirect_fd1(stdout: TextIO) -> int | None:
    """Point file descriptor 1 at stderr (subprocesses of node code); the saved copy, or None."""
    try:
        if stdout.fileno() != 1:
            return None
        stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
        return saved
    except (AttributeError, OSError, io.UnsupportedOperation):  # stdout is not a real file
        return None
