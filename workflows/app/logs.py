"""The log-report example's logic: summarise the entries of JSON Lines log files, read by
``JSONReaderNode`` with ``foreach`` over what ``DirectoryReaderNode`` listed."""

from __future__ import annotations

from collections import Counter
from typing import Any


def summarise(files: list[dict[str, Any]], days: list[list[dict[str, Any]]], slow_ms: int = 1000) -> dict[str, Any]:
    """Counts by level and service over every file's entries, and the entries slower than
    ``slow_ms`` (``days[i]`` holds the entries of ``files[i]``)."""
    levels: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    slow = []
    for listed, entries in zip(files, days, strict=True):
        for number, entry in enumerate(entries, start=1):
            levels[entry["level"]] += 1
            if entry["level"] == "ERROR":
                errors[entry["service"]] += 1
            if entry.get("ms", 0) >= slow_ms:
                slow.append({**entry, "file": listed["name"], "line": number})
    return {
        "files": len(files),
        "entries": sum(levels.values()),
        "by_level": dict(sorted(levels.items())),
        "errors_by_service": dict(sorted(errors.items())),
        "slow": slow,
    }
