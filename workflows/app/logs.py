"""The log-report example's logic: summarise JSON Lines log files listed by DirectoryReaderNode."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any


def summarise(files: list[dict[str, Any]], slow_ms: int = 1000) -> dict[str, Any]:
    """Counts by level and service over every listed file, and the entries slower than ``slow_ms``."""
    levels: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    slow = []
    for listed in files:
        with open(listed["path"], encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                entry = json.loads(line)
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
