"""The ``logging`` side of the capture of node output (``report/capture.py``): a handler
that gives each record to its run's route, and a record factory that redacts secrets."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, Protocol

from kailash_cli.engine.context import CURRENT_NODE, CURRENT_RUN


class _Routes(Protocol):
    def route(self, run: str | None) -> tuple[Any, bool]: ...

    def redact_all(self, text: str) -> str: ...


class RunLogHandler(logging.Handler):
    """On the root logger while runs go on: a record goes to its run's ``log``, with its level."""

    def __init__(self, capture: _Routes) -> None:
        super().__init__()
        self.capture = capture

    LEVELS = {"WARNING": "warning", "ERROR": "error", "CRITICAL": "error", "INFO": "info", "DEBUG": "debug"}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
        except Exception:  # logging's own contract: a handler never raises
            self.handleError(record)
            return
        route, known = self.capture.route(CURRENT_RUN.get())
        if record.levelno < (route.log_level if route is not None else logging.WARNING):
            return
        message = message if known else self.capture.redact_all(message)
        level = self.LEVELS.get(record.levelname, "info")
        if route is not None and route.log is not None and route.log(CURRENT_NODE.get(), level, message):
            return
        if any(h is not self for h in logging.getLogger().handlers):
            return  # what Python's last-resort handler would do: the program's own handlers write it
        for line in message.splitlines() or [""]:  # a stderr line, routed to its run (redacted)
            sys.stderr.write(line + "\n")


class RootLevel:
    """Python's root logger drops records below WARNING before any handler sees them. A route
    that wants them (``-v``) lowers it while runs go on, unless the program set a level or
    handlers of its own (then its logging setup decides, as before)."""

    def __init__(self) -> None:
        self.saved: int | None = None

    def lower(self, level: int, handler: logging.Handler) -> None:
        root = logging.getLogger()
        if level < root.level == logging.WARNING and root.handlers == [handler]:
            self.saved = logging.WARNING
            root.setLevel(level)

    def restore(self) -> None:
        if self.saved is not None:
            logging.getLogger().setLevel(self.saved)
            self.saved = None


class RedactingRecords:
    """While runs go on, every log record is made with the secrets of its run (every secret
    ever seen, when its run is not known) taken out of its message and traceback, so no
    handler, the program's own included, can write them."""

    def __init__(self, capture: _Routes) -> None:
        self.capture = capture
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
        route, known = self.capture.route(CURRENT_RUN.get())
        redact = route.redact if route is not None and known else self.capture.redact_all
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
