"""Huge values, told in a line instead of written out (issue 15, item 3).

A node that reads a million rows returns them all; written to the run store they added
300 MB per run, and printed as indented JSON they took gigabytes. Above a size, the store
keeps a description instead (``pipeline/recorder.py``; a resume runs that node again), and
``kailash run``'s text output shows one (``--output json`` still prints everything).

The size is an estimate of the value's JSON: a long list or mapping is measured on its
first items (a million rows cost as much to judge as 32), and the count stops once past the
limit. Only dicts, lists, tuples, strings and bytes are looked into: anything else (a
stream, which must never be consumed here; a DataFrame) counts a few bytes.
"""

from __future__ import annotations

from itertools import islice, repeat
from typing import Any

STORE_LIMIT = 4 * 1024 * 1024  # bytes of JSON: a node's outputs above it stay out of the store
STDOUT_LIMIT = 1024 * 1024  # bytes of JSON: a value above it is summarised on stdout (text output)
SHOWN_ITEMS = 3  # the first items of a summarised list, shown as an example
SHOWN_CHARS = 200  # the first characters of a summarised string
_OTHER = 16  # what a value of another type counts (numbers, booleans, objects)
SAMPLE = 32  # items of a long list or mapping whose size stands for all of them
MAX_DEPTH = 64  # deeper values count as small: the estimate recurses
_SMALL = frozenset({bool, int, float})  # counted as _OTHER without a call


def is_large(value: Any, limit: int) -> bool:
    """True when ``value``'s JSON would be longer than ``limit`` bytes (estimated)."""
    return _estimate(value, limit, 0) > limit


def _estimate(value: Any, budget: int, depth: int) -> float:
    """The size of ``value``'s JSON: exact for small values; a long list or mapping counts
    its first :data:`SAMPLE` items times its length. Stops counting once past ``budget``."""
    if isinstance(value, str | bytes):
        return len(value) + 2
    if depth > MAX_DEPTH or not isinstance(value, dict | list | tuple):
        return _OTHER
    count = len(value)
    if count <= 2 * SAMPLE:  # measured whole (the common case, without the sampling's tools)
        size = 2.0
        for key, item in value.items() if isinstance(value, dict) else zip(repeat(""), value):
            if item is None or item.__class__ in _SMALL:
                size += (len(key) + 4 if isinstance(key, str) else _OTHER) + _OTHER
            else:
                size += (len(key) + 4 if isinstance(key, str) else _OTHER) + _estimate(
                    item, budget, depth + 1
                )
            if size > budget:
                break
        return size
    scale = count / SAMPLE
    items = value.items() if isinstance(value, dict) else zip(repeat(""), value)
    size = 2.0
    for key, item in islice(items, SAMPLE):
        size += (len(key) + 4 if isinstance(key, str) else _OTHER) + _estimate(item, budget, depth + 1)
        if size * scale > budget:
            break
    return size * scale


def describe(value: Any) -> str:
    """What a value is, in a few words: ``list of 1,000,000 items``."""
    if isinstance(value, dict):
        return f"mapping of {len(value):,} keys"
    if isinstance(value, list | tuple):
        return f"list of {len(value):,} items"
    if isinstance(value, str):
        return f"text of {len(value):,} characters"
    if isinstance(value, bytes):
        return f"{len(value):,} bytes"
    return type(value).__name__


def summarised(value: Any, limit: int) -> Any:
    """``value`` with each part whose JSON is over ``limit`` bytes replaced by a summary:
    ``{"summary": "list of 1,000,000 items, over 1 MB as JSON", "first": [...]}``. A
    mapping keeps its keys (each value summarised on its own); small values are unchanged."""
    if not is_large(value, limit):
        return value
    if isinstance(value, dict):
        inner = {k: summarised(v, limit) for k, v in value.items()}
        if not is_large(inner, limit):
            return inner
    summary: dict[str, Any] = {"summary": f"{describe(value)}, over {_size(limit)} as JSON"}
    if isinstance(value, list | tuple):
        summary["first"] = [summarised(v, limit) for v in value[:SHOWN_ITEMS]]
    elif isinstance(value, str):
        summary["first"] = value[:SHOWN_CHARS]
    return summary


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
