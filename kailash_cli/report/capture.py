"""What node code prints, taken off stdout while runs go on, and routed to its run.

``sys.stdout`` and ``sys.stderr`` belong to the process, not to a run, so this module is
the one place that replaces them: while at least one run is registered (``routed``), both
are routers. A line node code writes is given to its run's ``Route`` (the run is known
from ``CURRENT_RUN``, which ``NodeCall.run`` sets): stdout lines go to the route's sink
(``[node] text`` on stderr, or a JSON event); stderr lines are redacted with the run's
secrets (or, with JSON logs, become events too). A line of no known run (a thread node
code started, a run that ended) is redacted with every secret of every run the process
has had (in the console script, with the masked values of its runs masked too), and goes
to the stray route if any (``serving``: a server, where several runs may go on), else to
the only run going on, else to the route kept for after the runs (``linger``: the console
script, whose node threads may print late), else to stderr.
File descriptor 1 points at stderr while a run (or a server) goes on, so subprocesses of
node code keep stdout clean too. Streams are put back when nothing needs them any more.
Records node code logs through ``logging`` are routed the same way, with their level
(``capture_logs``): a handler on the root logger gives each record to its route's ``log``
(a JSON event), else writes it as a stderr line, as Python's last-resort handler would
(only when no other handler is configured: a program's own logging setup writes it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TextIO

from kailash_cli.report.capture_lines import Label, Lines, Route, redirect_fd1
from kailash_cli.report.capture_logs import RedactingRecords, RootLevel, RunLogHandler
from kailash_cli.security.redact import Redactor


def plain_label(node: str | None, line: str) -> str:
    return f"[{node}] {line}" if node else line


class _Capture:
    """The process's one capture (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.routes: dict[str, Route] = {}
        self.stray: Route | None = None  # a server's: every line of no known run
        self.after: Route | None = None  # the console script's: lines once no run goes on
        self.label: Label | None = None  # a server's: how text lines of node output read
        self.saved: tuple[TextIO, TextIO] | None = None
        self.saved_dunder: tuple[TextIO | None, TextIO | None] = (None, None)  # sys.__stdout__/__stderr__
        self.saved_fd: int | None = None
        self.seen: set[str] = set()
        self.everything = Redactor(())
        self.masked: list[Callable[[str], str]] = []  # the console script's ended runs' (``linger``)

    def original(self) -> tuple[TextIO, TextIO]:
        """The streams as they were before the first run took them (or as they are now)."""
        with self.lock:
            if self.saved is not None:
                return self.saved
        return sys.stdout, sys.stderr

    def route(self, run: str | None) -> tuple[Route | None, bool]:
        """The route of ``run`` and True; for a line of no known run (see the module docstring)
        the stray route, the only run's, or the one for after the runs, and False."""
        with self.lock:
            if run is not None and run in self.routes:
                return self.routes[run], True
            if self.stray is not None:
                return self.stray, False
            if len(self.routes) == 1:
                return next(iter(self.routes.values())), False
            return (self.after if not self.routes else None), False

    def remember(self, route: Route) -> None:
        with self.lock:
            values = set(route.secrets()) - self.seen
            if values:
                self.seen |= values
                self.everything = Redactor(self.seen)

    def redact_all(self, text: str) -> str:
        """``text`` without any secret of any run the process has had."""
        with self.lock:
            routes = list(self.routes.values())
            everything = self.everything
        for route in routes:
            text = route.redact(text)
        for masked in self.masked:
            text = masked(text)
        return everything.text(text)

    def add(self, run_id: str, route: Route) -> None:
        with self.lock:
            self.remember(route)
            self._take()
            self.routes[run_id] = route
            _LEVEL.lower(route.log_level, _LOG_HANDLER)

    def remove(self, run_id: str) -> None:
        with self.lock:
            for stream in (sys.stdout, sys.stderr):  # the run's last partial lines
                if isinstance(stream, Lines):
                    stream.drain(run_id)
            route = self.routes.pop(run_id, None)
            if route is not None:
                self.remember(route)
                if route.masked is not None and self.after is not None and self.stray is None:
                    self.masked.append(route.masked)  # one command's runs: what its threads print late
            self._release()

    def keep(
        self, stray: Route | None = None, after: Route | None = None, label: Label | None = None
    ) -> None:
        """Install the stray route (a server), or the one for after the runs (the console script)."""
        with self.lock:
            self.stray, self.after = stray or self.stray, after or self.after
            self.label = label or self.label
            if stray is not None:
                self._take()

    def drop(self, *, stray: bool = False, after: bool = False) -> None:
        """Uninstall them; a server's stray route stays the one for after the runs, if any."""
        with self.lock:
            if stray:
                self.after = None if self.after is None else self.stray or self.after
                self.stray = self.label = None
            self.after = None if after else self.after
            self.masked = self.masked if self.after is not None else []
            self._release()

    def _take(self) -> None:
        """The streams (and file descriptor 1) taken, if they are not yet."""
        if self.saved is None:
            self.saved = sys.stdout, sys.stderr
            out, err = self.saved
            sys.stdout = Lines(self, err, is_stderr=False)  # type: ignore[assignment]
            sys.stderr = Lines(self, err, is_stderr=True)  # type: ignore[assignment]
            # node code writing to the "real" streams is node output too (redacted, routed)
            self.saved_dunder = sys.__stdout__, sys.__stderr__
            sys.__stdout__, sys.__stderr__ = sys.stdout, sys.stderr  # type: ignore[misc,assignment]
            logging.getLogger().addHandler(_LOG_HANDLER)
            _REDACTING.install()
        if self.saved_fd is None:
            self.saved_fd = redirect_fd1(self.saved[0])

    def _release(self) -> None:
        """Give back what no run or kept route needs any more."""
        if self.routes or self.stray is not None or self.saved is None:
            return
        self.flush()
        if self.saved_fd is not None:  # results are written once the runs are over
            os.dup2(self.saved_fd, 1)
            os.close(self.saved_fd)
            self.saved_fd = None
        if self.after is not None:
            return
        logging.getLogger().removeHandler(_LOG_HANDLER)
        _LEVEL.restore()
        _REDACTING.uninstall()
        sys.stdout, sys.stderr = self.saved
        sys.__stdout__, sys.__stderr__ = self.saved_dunder  # type: ignore[misc,assignment]
        self.saved = None

    def text(self, node: str | None, line: str) -> str:
        """A stderr line of node code as written to stderr: as it is, unless a server labels it."""
        return line if self.label is None else self.label(node, line)

    def flush(self) -> None:
        """Write out every partial line."""
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, Lines):
                stream.drain()


CAPTURE = _Capture()
_LOG_HANDLER = RunLogHandler(CAPTURE)
_REDACTING = RedactingRecords(CAPTURE)
_LEVEL = RootLevel()


@contextlib.contextmanager
def routed(run_id: str, route: Route) -> Iterator[None]:
    """While the block runs, what the run's node code prints goes to ``route``."""
    CAPTURE.add(run_id, route)
    try:
        yield
    finally:
        CAPTURE.remove(run_id)


@contextlib.contextmanager
def serving(stray: Route, label: Label = plain_label) -> Iterator[None]:
    """While the block runs (a server), the streams stay taken: a line of no known run goes
    to ``stray`` (never to a run that happens to go on), and text lines of node output read
    as ``label`` makes them."""
    CAPTURE.keep(stray=stray, label=label)
    try:
        yield
    finally:
        CAPTURE.drop(stray=True)


def node_line(node: str | None, line: str) -> str:
    """A line node code printed, as the text log shows it (``[node] text``, or as a server labels it)."""
    return (CAPTURE.label or plain_label)(node, line)


def original_streams() -> tuple[TextIO, TextIO]:
    """stdout and stderr as they are outside any run (what ``Output`` writes to)."""
    return CAPTURE.original()


def linger() -> None:
    """The console script: once its runs are over the streams stay taken until ``release``,
    so what threads node code started print late is redacted with every secret seen (stdout
    lines of the main thread go to stdout, all else to stderr, as ``[node] text``)."""

    def write(node: str | None, line: str, to_stdout: bool = False) -> None:
        stream = CAPTURE.original()[0 if to_stdout else 1]
        stream.write((line if to_stdout or node is None else node_line(node, line)) + "\n")
        stream.flush()

    def sink(node: str | None, line: str) -> None:
        write(node, line, threading.current_thread() is threading.main_thread())

    CAPTURE.keep(after=Route(sink, CAPTURE.redact_all, stderr_sink=write))


def release() -> None:
    """The streams given back (what a thread left unfinished written out), as before ``linger``."""
    CAPTURE.drop(after=True)
