"""The one broad ``except``: an exception becomes a message and an exit code."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from datetime import UTC, datetime

from kailash_cli.constants import EXIT_BUG, EXIT_INTERRUPTED
from kailash_cli.errors import KailashError, WorkflowValidationError
from kailash_cli.report.console import err

_JSON = False


def use_json_logs(enabled: bool) -> None:
    """With ``--log-format json`` errors, too, are one JSON object a line."""
    global _JSON
    _JSON = enabled


def _say(line: str, event: str = "error", **fields: object) -> None:
    if not _JSON:
        err(line)
        return
    message = line.removeprefix("error: ")
    record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "level": "error",
              "event": event, "message": message, **fields}
    err(json.dumps(record, default=str))


def _report(e: KailashError) -> None:
    if _JSON and isinstance(e, WorkflowValidationError):
        for problem in e.problems:
            _say(problem.message, "finding", **problem.to_dict())
    lines = e.lines()
    if _JSON and isinstance(e, WorkflowValidationError):
        lines = lines[len(e.problems):]
    for line in lines:
        _say(line)


def handle(call: Callable[[], int], *, verbose: bool = False) -> int:
    try:
        return call()
    except KailashError as e:
        if verbose:
            _say(traceback.format_exc(), "traceback")
        _report(e)
        return e.exit_code
    except KeyboardInterrupt:
        _say("interrupted", "interrupted")
        return EXIT_INTERRUPTED
    except Exception as e:
        if verbose:
            _say(traceback.format_exc(), "traceback")
        _say(f"error: unexpected {type(e).__name__}: {e}")
        _say("this is a bug in kailash, please report it (run with -v for the traceback)")
        return EXIT_BUG
