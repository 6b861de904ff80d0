"""``kailash audit verify [LOG]``: check the audit log's hash chain."""

from __future__ import annotations

import sys
from pathlib import Path

from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.load.yaml_io import STDIN_NAME, is_stdin
from kailash_cli.pipeline.audit import Verification, verify
from kailash_cli.report.output import Output

DEFAULT_LOG = Path(".kailash") / "audit.jsonl"


def audit_verify(log: Path | None = None, *, output: Output | None = None) -> int:
    """0 intact, 1 broken (names the first bad entry), 2 missing or unreadable log."""
    output = output or Output()
    path = log or DEFAULT_LOG
    if is_stdin(path):  # kailash audit verify - < audit.jsonl
        if sys.stdin is None or sys.stdin.closed or sys.stdin.isatty():
            raise UsageError(
                "audit verify -: standard input is not a file; pipe the log in (- < audit.jsonl)"
            )
        return _report(verify(path, sys.stdin.buffer), STDIN_NAME, output)
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give the audit log file: kailash audit verify LOG")
    if not path.exists():
        raise UsageError(f"audit log {path} not found; give its path: kailash audit verify LOG")
    if not path.is_file():  # a FIFO would wait for ever, a device never end
        raise UsageError(
            f"audit log {path} is not a regular file; give the log file: kailash audit verify LOG"
        )
    try:
        result = verify(path)
    except OSError as e:
        raise UsageError(f"cannot read audit log {path}: {e.strerror or e}") from None
    return _report(result, str(path), output)


def _report(result: Verification, name: str, output: Output) -> int:
    if result.ok:
        output.out(result.reason)
        return EXIT_OK
    output.out(f"{name}: entry {result.entry} is broken: {result.reason}")
    return EXIT_FAILURE
