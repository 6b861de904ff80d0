"""The server's log lines, uvicorn's included, through the invocation's ``Output``: text, or
with ``--log-format json`` one JSON object a line (``ts``, ``level``, ``event``, ...)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kailash_cli.report.capture import Route, serving
from kailash_cli.report.output import Output

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.asgi")


def escaped(text: str) -> str:
    """``text`` as one piece of a text log line: control and other non-printable characters
    as Python escapes (``\\n``, ``\\x1b``, ``\\u2028``), ``"`` and ``\\`` escaped, so
    what a request sends can neither start a line of its own nor end the quoted field."""
    return "".join(map(_escaped_char, text))


def _escaped_char(ch: str) -> str:
    if ch == '"':
        return '\\"'
    if ch == "\\" or not ch.isprintable():
        return ch.encode("unicode_escape").decode("ascii")
    return ch


class ServeLog:
    """Events of the server: ``event(name, level, message=..., **fields)``; secrets redacted."""

    def __init__(self, output: Output) -> None:
        self.output = output

    def event(self, event: str, level: str = "info", **fields: Any) -> None:
        if self.output.json_logs:
            self.output.event(event, level, **fields)
            return
        if level == "debug" and not self.output.verbose:
            return
        line = f"{level}: {fields.get('message', event)}"
        if fields.get("trace_id"):
            line += f" (trace_id={fields['trace_id']})"
        if fields.get("traceback") and self.output.verbose:
            line += "\n" + str(fields["traceback"]).rstrip()
        self.output.err(line, level)

    def access(self, **fields: Any) -> None:
        """One request: method, path, status, duration_ms, trace_id, client, user."""
        if self.output.json_logs:
            self.output.event("http_request", "info", **fields)
            return
        user = f" user={escaped(str(fields['user']))}" if fields.get("user") else ""
        self.output.err(
            f'{escaped(str(fields["client"]))} "{escaped(fields["method"])} {escaped(fields["path"])}" '
            f"{fields['status']} {fields['duration_ms']:.1f}ms trace_id={fields['trace_id']}{user}",
            "info",
        )

    def error(self, message: str, error: BaseException, **fields: Any) -> None:
        """An unexpected error: the message, and its traceback with -v only."""
        if self.output.verbose:
            fields["traceback"] = "".join(traceback.format_exception(error))
        self.event("error", "error", message=f"{message}: {type(error).__name__}: {error}", **fields)


class _Handler(logging.Handler):
    def __init__(self, log: ServeLog) -> None:
        super().__init__()
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = {}
            if record.exc_info and self.log.output.verbose:
                fields["traceback"] = "".join(traceback.format_exception(*record.exc_info))
            self.log.event("server", record.levelname.lower(), message=record.getMessage(), **fields)
        except Exception:  # pragma: no cover - logging must never break the server
            self.handleError(record)


@contextmanager
def uvicorn_logs(log: ServeLog) -> Iterator[None]:
    """uvicorn's own messages go through ``log`` while the block runs (debug ones with -v)."""
    handler = _Handler(log)
    saved = []
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.level, logger.propagate))
        logger.handlers = [handler] if name == "uvicorn" else []
        logger.setLevel(logging.DEBUG if log.output.verbose else logging.INFO)
        logger.propagate = name != "uvicorn"
    try:
        yield
    finally:
        for logger, handlers, level, propagate in saved:
            logger.handlers, logger.propagate = handlers, propagate
            logger.setLevel(level)


def node_label(node: str | None, line: str) -> str:
    """A line node code wrote, as the text log shows it: ``[node id] text`` (``[node]`` when
    its node is not known), escaped as the access log is, so it never reads as a server line."""
    return f"[{escaped(node) if node else 'node'}] {escaped(line)}"


@contextmanager
def node_output(log: ServeLog) -> Iterator[None]:
    """For the server's whole life the streams stay captured: node output no run claims
    (threads node code started, late lines) is never given to another run but logged as
    ``output`` (JSON: an event without run id), with every secret ever seen redacted."""
    output = log.output

    def sink(node: str | None, line: str, level: str = "info") -> None:
        if output.json_logs:
            output.event("output", level, **({"node": node} if node else {}), line=line)
        else:
            output.err(node_label(node, line), level)

    def logged(node: str | None, level: str, message: str) -> bool:
        if output.json_logs:
            sink(node, message, level)
        return output.json_logs

    route = Route(sink, output.redact, stderr_sink=lambda node, line: sink(node, line, "warning"), log=logged)
    with serving(route, node_label):
        yield
