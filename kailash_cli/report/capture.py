"""What node code prints, taken off stdout while runs go on, and routed to its run.

``sys.stdout`` and ``sys.stderr`` belong to the process, not to a run, so this module is
the one place that replaces them: while at least one run is registered (``routed``), both
are routers. A line node code writes is given to its run's ``Route`` (the run is known
from ``CURRENT_RUN``, which ``NodeCall.run`` sets): stdout lines go to the route's sink
(``[node] text`` on stderr, or a JSON event); stderr lines are redacted with the run's
secrets (or, with JSON logs, become events too). A line from a thread that node code
started itself carries no run: with one run going on it is that run's; with several it
goes to stderr with every run's secrets redacted. File descriptor 1 points at stderr for
as long as any run is registered, so subprocesses of node code keep stdout clean too.
Streams are put back when the last run ends. Records node code logs through ``logging``
are routed the same way, with their level: while runs go on a handler on the root logger
gives each record to its run's ``log`` (a JSON event at the record's level), else writes
it as a stderr line, as Python's last-resort handler would (only when no other handler
is configured: a program's own logging setup keeps writing what it writes).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from kailash_cli.engine.context import CURRENT_NODE, CURRENT_RUN

LineSink = Callable[[str | None, str], None]  # (node id or None, one line it printed)
LogSink = Callable[[str | None, str, str], bool]  # (node, level, message): True when it took it


@dataclass(frozen=True)
class Route:
    """Where one run's node output goes."""

    sink: LineSink  # stdout lines
    redact: Callable[[str], str]  # the run's secrets out of text
    stderr_to_sink: bool = False  # JSON logs: stderr lines are events too
    stderr_sink: LineSink | None = None  # stderr lines, when they go elsewhere than ``sink``
    log: LogSink | None = None  # logging records of node code (else: stderr lines)


class _Capture:
    """The process's one capture (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.routes: dict[str, Route] = {}
        self.saved: tuple[TextIO, TextIO, int | None] | None = None

    def original(self) -> tuple[TextIO, TextIO]:
        """The streams as they were before the first run took them (or as they are now)."""
        with self.lock:
            if self.saved is not None:
                return self.saved[0], self.saved[1]
        return sys.stdout, sys.stderr

    def route(self, run: str | None) -> Route | None:
        """The route of ``run``; the only run's when the line's run is not known."""
        with self.lock:
            if run is not None and run in self.routes:
                return self.routes[run]
            return next(iter(self.routes.values())) if len(self.routes) == 1 else None

    def redact_all(self, text: str) -> str:
        with self.lock:
            routes = list(self.routes.values())
        for route in routes:
            text = route.redact(text)
        return text

    def add(self, run_id: str, route: Route) -> None:
        with self.lock:
            if not self.routes:
                out, err = sys.stdout, sys.stderr
                self.saved = (out, err, _redirect_fd1(out))
                sys.stdout = _Lines(self, out, err, is_stderr=False)  # type: ignore[assignment]
                sys.stderr = _Lines(self, out, err, is_stderr=True)  # type: ignore[assignment]
                logging.getLogger().addHandler(_LOG_HANDLER)
                _REDACTING.install()
            self.routes[run_id] = route

    def remove(self, run_id: str) -> None:
        with self.lock:
            for stream in (sys.stdout, sys.stderr):  # the run's last partial lines
                if isinstance(stream, _Lines):
                    stream.flush(run_id)
            self.routes.pop(run_id, None)
            if self.routes or self.saved is None:
                return
            for stream in (sys.stdout, sys.stderr):
                if isinstance(stream, _Lines):
                    stream.flush()
            logging.getLogger().removeHandler(_LOG_HANDLER)
            _REDACTING.uninstall()
            out, err, saved_fd = self.saved
            sys.stdout, sys.stderr, self.saved = out, err, None
            if saved_fd is not None:
                os.dup2(saved_fd, 1)
                os.close(saved_fd)


class _Lines(io.TextIOBase):
    """Stands in for sys.stdout or sys.stderr: complete lines are routed, per run and node."""

    def __init__(self, capture: _Capture, out: TextIO, err: TextIO, *, is_stderr: bool) -> None:
        self.capture = capture
        self.real_err = err
        self.is_stderr = is_stderr
        self.partial: dict[tuple[str | None, str | None], str] = {}
        self.lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        key = (CURRENT_RUN.get(), CURRENT_NODE.get())
        with self.lock:
            buffered = self.partial.pop(key, "") + text
            *lines, rest = buffered.split("\n")
            if rest:
                self.partial[key] = rest
        for line in lines:
            self._emit(key, line)
        return len(text)

    def _emit(self, key: tuple[str | None, str | None], line: str) -> None:
        node = key[1]
        route = self.capture.route(key[0])
        if route is None:  # several runs and none known here: hide every run's secrets
            self.real_err.write(self.capture.redact_all(line) + "\n")
        elif self.is_stderr and route.stderr_sink is not None:
            route.stderr_sink(node, line)
        elif not self.is_stderr or route.stderr_to_sink:
            route.sink(node, line)
        else:
            self.real_err.write(route.redact(line) + "\n")
        self.real_err.flush()

    def flush(self, run: str | None = None) -> None:
        """Write out partial lines: every run's, or only ``run``'s (and its threads')."""
        with self.lock:
            keys = [k for k in self.partial if run is None or k[0] in (run, None)]
            pending = [(k, self.partial.pop(k)) for k in keys]
        for key, rest in pending:
            self._emit(key, rest)


def _redirect_fd1(stdout: TextIO) -> int | None:
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


class _RunLogHandler(logging.Handler):
    """On the root logger while runs go on: a record goes to its run's ``log``, with its level."""

    LEVELS = {"WARNING": "warning", "ERROR": "error", "CRITICAL": "error", "INFO": "info", "DEBUG": "debug"}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
        except Exception:  # logging's own contract: a handler never raises
            self.handleError(record)
            return
        route = CAPTURE.route(CURRENT_RUN.get())
        level = self.LEVELS.get(record.levelname, "info")
        if route is not None and route.log is not None and route.log(CURRENT_NODE.get(), level, message):
            return
        if record.levelno < logging.WARNING or any(h is not self for h in logging.getLogger().handlers):
            return  # what Python's last-resort handler would do: the program's own handlers write it
        for line in message.splitlines() or [""]:  # a stderr line, routed to its run (redacted)
            sys.stderr.write(line + "\n")


class _RedactingRecords:
    """While runs go on, every log record is made with the secrets of its run (of every run,
    when it has none) taken out of its message and traceback, so no handler, the program's
    own included, can write them."""

    def __init__(self) -> None:
        self.previous: Callable[..., logging.LogRecord] | None = None

    def install(self) -> None:
        self.previous = logging.getLogRecordFactory()
        logging.setLogRecordFactory(self.make)

    def uninstall(self) -> None:
        if self.previous is not None and logging.getLogRecordFactory() == self.make:
            logging.setLogRecordFactory(self.previous)
        self.previous = None

    def make(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = (self.previous or logging.LogRecord)(*args, **kwargs)
        route = CAPTURE.route(CURRENT_RUN.get())
        redact = route.redact if route is not None else CAPTURE.redact_all
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format: logging reports it when it is written
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record


CAPTURE = _Capture()
_LOG_HANDLER = _RunLogHandler()
_REDACTING = _RedactingRecords()


@contextlib.contextmanager
def routed(run_id: str, route: Route) -> Iterator[None]:
    """While the block runs, what the run's node code prints goes to ``route``."""
    CAPTURE.add(run_id, route)
    try:
        yield
    finally:
        CAPTURE.remove(run_id)


def original_streams() -> tuple[TextIO, TextIO]:
    """stdout and stderr as they are outside any run (what ``Output`` writes to)."""
    return CAPTURE.original()
