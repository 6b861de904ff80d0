"""``kailash audit verify [LOG]``: check the audit log's hash chain."""

from __future__ import annotations

from pathlib import Path

from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.pipeline.audit import verify
from kailash_cli.report.output import Output

DEFAULT_LOG = Path(".kailash") / "audit.jsonl"


def audit_verify(log: Path | None = None, *, output: Output | None = None) -> int:
    """0 intact, 1 broken (names the first bad entry), 2 missing or unreadable log."""
    output = output or Output()
    path = log or DEFAULT_LOG
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give the audit log file: kailash audit verify LOG")
    if not path.is_file():
        raise UsageError(f"audit log {path} not found; give its path: kailash audit verify LOG")
    try:
        result = verify(path)
    except OSError as e:
        raise UsageError(f"cannot read audit log {path}: {e.strerror or e}") from None
    if result.ok:
        output.out(result.reason)
        return EXIT_OK
    output.out(f"{path}: entry {result.entry} is broken: {result.reason}")
    return EXIT_FAILURE
