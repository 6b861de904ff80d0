"""The one broad ``except``: an exception becomes a message and an exit code."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable

from kailash_cli.constants import EXIT_BROKEN_PIPE, EXIT_BUG, EXIT_INTERRUPTED
from kailash_cli.errors import KailashError, WorkflowValidationError
from kailash_cli.report.output import Output


def _say(output: Output, line: str, event: str = "error", **fields: object) -> None:
    """A line of text, or with ``--log-format json`` one JSON object."""
    if output.json_logs:
        output.event(event, "error", message=line.removeprefix("error: "), **fields)
    else:
        output.err(line, "error")


def _report(output: Output, e: KailashError) -> None:
    lines = e.lines()
    if isinstance(e, WorkflowValidationError):  # each finding, then the summary line
        for problem in e.problems:
            output.finding(problem, "error")
        lines = lines[len(e.problems) :]
    for line in lines:
        _say(output, line)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at interpreter exit does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # no real stdout: nothing to flush
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def handle(call: Callable[[], int], output: Output) -> int:
    """``call()``'s exit code; a KailashError is its message and code, anything else a bug (3)."""
    try:
        return call()
    except KailashError as e:
        if output.verbose:
            _say(output, traceback.format_exc(), "traceback")
        _report(output, e)
        return e.exit_code
    except KeyboardInterrupt:
        _say(output, "interrupted", "interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of stdout is gone (| head): end quietly, as SIGPIPE would
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as e:
        if output.verbose:
            _say(output, traceback.format_exc(), "traceback")
        _say(output, f"error: unexpected {type(e).__name__}: {e}")
        _say(output, "this is a bug in kailash, please report it (run with -v for the traceback)")
        return EXIT_BUG
