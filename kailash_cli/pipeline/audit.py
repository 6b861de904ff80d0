"""The audit log: JSON Lines, each entry carrying the SHA-256 of the line before it.

Appends take an exclusive ``flock`` on the file, read the last line under the lock and
write one line with ``O_APPEND``, then ``fsync``: concurrent runs (processes or
threads) never interleave or fork the chain. The chain shows any edited, removed or
reordered entry except at the very end: an edit of the last entry or a truncation
of the tail is invisible without an anchor kept elsewhere (e.g. the last hash).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

GENESIS = "0" * 64
_RESERVED = ("ts", "event", "prev")
_CHUNK = 4096


def line_hash(line: bytes) -> str:
    """The hash the next entry stores in ``prev``: SHA-256 of a line without its newline."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


class AuditLog:
    """Append-only, hash-chained audit entries at ``path`` (parent folders created).

    ``redact`` (e.g. ``Redactor.value``) is applied to the fields before writing, so
    secret values never reach the log.
    """

    def __init__(self, path: Path, redact: Callable[[Any], Any] | None = None) -> None:
        self.path = path
        self._redact = redact

    def redacted_by(self, redact: Callable[[Any], Any]) -> AuditLog:
        """The same log, each entry's fields passed through ``redact`` before writing."""
        return AuditLog(self.path, redact=redact)

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one entry ``{ts, event, **fields, prev}``; returns it as written."""
        clash = [k for k in fields if k in _RESERVED]
        if clash:
            raise ValueError(f"audit field names {clash} are reserved")
        if self._redact is not None:
            fields = self._redact(fields)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last, ends_with_newline = _last_line(fd)
            entry = {
                "ts": _now(),
                "event": event,
                **fields,
                "prev": GENESIS if last is None else line_hash(last),
            }
            data = json.dumps(entry, ensure_ascii=False, separators=(",", ":"), default=str).encode()
            prefix = b"" if ends_with_newline else b"\n"  # a torn last line stays visible as broken
            _write_all(fd, prefix + data + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock
        return entry


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _last_line(fd: int) -> tuple[bytes | None, bool]:
    """(the last non-empty line or None, whether the file ends with a newline or is empty)."""
    end = os.fstat(fd).st_size
    if end == 0:
        return None, True
    tail = b""
    pos = end
    while pos > 0:
        start = max(0, pos - _CHUNK)
        tail = os.pread(fd, pos - start, start) + tail
        pos = start
        body = tail.rstrip(b"\n")
        if b"\n" in body or pos == 0:
            line = body.rsplit(b"\n", 1)[-1]
            return (line or None), tail.endswith(b"\n")
    raise AssertionError("cannot happen: the loop returns at pos 0")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


MAX_ENTRY_BYTES = 1_000_000  # one audit entry: a few hundred bytes in practice


@dataclass(frozen=True)
class Verification:
    """Unpacks as ``(ok, entry_number | None, reason)``; ``entries`` counts the lines read."""

    ok: bool
    entry: int | None
    reason: str
    entries: int

    def __iter__(self) -> Iterator[Any]:
        return iter((self.ok, self.entry, self.reason))


def verify(path: Path, stream: IO[bytes] | None = None) -> Verification:
    """Check the chain (of ``stream`` when given: standard input); the first bad entry
    (1-based) and why. OSError when unreadable."""
    expected = GENESIS
    count = 0
    with contextlib.nullcontext(stream) if stream is not None else path.open("rb") as lines:
        # a line is read up to MAX_ENTRY_BYTES: /dev/zero (no newline ever) must not fill memory
        for count, line in enumerate(iter(lambda: lines.readline(MAX_ENTRY_BYTES + 1), b""), start=1):
            if len(line) > MAX_ENTRY_BYTES:
                reason = f"longer than {MAX_ENTRY_BYTES // 1_000_000} MB: not an audit entry"
                return Verification(False, count, reason, count)
            problem = _entry_problem(line, expected, count)
            if problem:
                return Verification(False, count, problem, count)
            expected = line_hash(line)
    word = "entry" if count == 1 else "entries"
    return Verification(True, None, f"intact: {count} {word}", count)


def _entry_problem(line: bytes, expected: str, number: int) -> str | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return "not a JSON object (the line was damaged or edited)"
    if not isinstance(entry, dict):
        return "not a JSON object (the line was damaged or edited)"
    missing = [k for k in _RESERVED if k not in entry]
    if missing:
        return f"missing {', '.join(missing)}"
    if entry["prev"] != expected:
        if number == 1:
            return "prev is not the genesis hash: entries before it were removed, or it was edited"
        return (
            f"prev does not match the hash of entry {number - 1}: entry {number - 1} was edited, "
            "or entries were removed or reordered"
        )
    return None
