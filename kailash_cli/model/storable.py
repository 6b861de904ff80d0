"""Whether a value a node returned can be kept in the run store as it is.

The store keeps JSON. Some Python values have no faithful JSON form, and before this
check they either crashed the run at the end (tuple keys as pandas makes them, a list
that contains itself, an integer of thousands of digits, text with a lone surrogate) or
were stored and then broke every later read (5,000 nested lists: ``runs list`` failed
for good). :func:`unstorable` names the first such value by its path, so the node fails
with a message that says where, and nothing unreadable reaches the store. A generator (or
any iterator) is refused too: what it would still give is not data yet, and its repr is not it.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import PurePath
from typing import Any

#: lists and mappings nested in each other: about where the JSON encoder and decoder give up
#: (Python's recursion limit), so what is stored can always be read back
MAX_DEPTH = 900
_MAX_INT_DIGITS = 4_300  # Python refuses to turn longer integers into text (sys.int_info)
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_KEY_TYPES = (str, int, float, bool, type(None))  # what JSON writes as a key (as text)


def unstorable(value: Any, root: str = "result") -> str | None:
    """``"PATH: why"`` for the first part of ``value`` the store cannot keep faithfully,
    else None. Walks without recursion, so depth itself cannot crash it."""
    stack: list[tuple[Any, str, int]] = [(value, root, 0)]
    open_ids: set[int] = set()  # containers on the way down (a cycle comes back to one)
    leave: list[tuple[int, int]] = []  # (stack height, id) to close when the walk is back
    while stack:
        while leave and len(stack) < leave[-1][0]:
            open_ids.discard(leave.pop()[1])
        current, path, depth = stack.pop()
        why = _scalar_problem(current)
        if why:
            return f"{path}: {why}"
        if not isinstance(current, Mapping | list | tuple):
            continue
        if id(current) in open_ids:
            return f"{path}: the value contains itself (a circular reference)"
        if depth >= MAX_DEPTH:
            return f"{path}: nested more than {MAX_DEPTH} levels deep"
        if isinstance(current, Mapping):
            children = []
            for key, item in current.items():
                if not isinstance(key, _KEY_TYPES):
                    return f"{path}: a key of type {type(key).__name__} ({key!r:.40}); keys must be text"
                key_problem = _scalar_problem(key)
                if key_problem:
                    return f"{path}: a key: {key_problem}"
                children.append((item, f"{path}.{key}", depth + 1))
            clash = _clash(current)
            if clash:
                return f"{path}: {clash}"
        else:
            children = [(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(current)]
        if not children:
            continue
        open_ids.add(id(current))
        leave.append((len(stack) + 1, id(current)))
        stack.extend(reversed(children))
    return None


def _scalar_problem(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            return f"text with a lone surrogate at character {e.start} (not valid Unicode)"
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        limit = getattr(sys.int_info, "default_max_str_digits", _MAX_INT_DIGITS) or _MAX_INT_DIGITS
        if value.bit_length() > limit * 3.32:
            return f"an integer of more than {limit:,} digits"
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{_NON_FINITE[str(value)]} is not a JSON number (return None, or the text)"
    if isinstance(value, set | frozenset):
        return "a set (return a list: sorted(values))"
    if isinstance(value, Iterator):  # a generator, map(), zip(): its repr would be stored
        return f"a {type(value).__name__} (return a list: list(...))"
    if isinstance(value, bytes | bytearray):
        return f"{type(value).__name__} (return text: value.decode(), or base64 of it)"
    if not isinstance(value, _DATA):  # an object, an exception, numpy's int64: its str() is not it
        return f"a value of type {type(value).__name__} (return JSON data: text, numbers, lists, mappings)"
    return None


class NotStorableError(ValueError):
    """A node returned a value the run store cannot keep; the message names its path."""


def check_storable(value: Any, root: str = "result") -> None:
    """Raise ``NotStorableError`` naming the path of the first value the store cannot keep.

    The common case, storable data, costs one pass of the C JSON encoder (no Python walk);
    only a failure walks the value to say where; a plain scalar costs less still.
    """
    kind = type(value)
    if value is None or kind is bool or (kind is str and value.isascii()):
        return
    if (kind is int and value.bit_length() < 1_000) or (kind is float and math.isfinite(value)):
        return
    try:
        _probe(value)
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError) as e:
        found = unstorable(value, root)
        if found is None and isinstance(e, TypeError) and "not supported between" in str(e):
            return  # keys of several types (sorted to find clashes), none the same as text
        found = found or f"{root}: {e}"
        if len(found) > 200:  # a path thousands of levels long says less than its ends
            found = f"{found[:80]}...{found[-100:]}"
        raise NotStorableError(f"{found}; the run store keeps JSON data (text keys, no cycles)") from None


def _probe(value: Any, depth: int = 0) -> None:
    """Encode ``value`` as the store would, raising what the encoder raises. A long list (a
    node's rows), at the top or under a key of a mapping result, is encoded a slice at a
    time: its whole JSON text (and the bytes of it) would double a large result's memory."""
    if isinstance(value, list | tuple) and len(value) > _SLICE:
        for start in range(0, len(value), _SLICE):
            _dump(value[start : start + _SLICE])
    elif type(value) is dict and depth < 2 and any(_long(v) for v in value.values()):
        _dump(dict.fromkeys(value))  # its keys, as the encoder checks them
        for item in value.values():
            _probe(item, depth + 1)
    else:
        _dump(value)


_SLICE = 2_000  # items of a long list encoded at once


def _long(value: Any) -> bool:
    return isinstance(value, list | tuple) and len(value) > _SLICE


def _dump(value: Any) -> None:
    # sort_keys: a mapping whose keys are of several types (1 and "1") cannot be sorted, so
    # the walk looks at it: JSON writes both as "1", and one value would be lost
    json.dumps(value, ensure_ascii=False, default=_probe_default, allow_nan=False, sort_keys=True).encode(
        "utf-8"
    )


def _clash(mapping: Mapping[Any, Any]) -> str | None:
    """Two keys JSON writes as the same text (``1`` and ``"1"``, ``True`` and ``"true"``)."""
    if all(type(key) is str for key in mapping):
        return None
    seen: dict[str, Any] = {}
    for key in mapping:
        text = key if isinstance(key, str) else next(iter(json.loads(json.dumps({key: 0}))))
        if text in seen:
            return f"keys {seen[text]!r} and {key!r} are the same text in JSON; one value would be lost"
        seen[text] = key
    return None


#: what the store keeps: JSON's own types, and values whose text is exactly them
_DATA = (
    str, int, float, bool, type(None), list, tuple, dict, Mapping,
    datetime.date, datetime.time, decimal.Decimal, uuid.UUID, PurePath,
)  # fmt: skip


def _probe_default(value: Any) -> Any:
    if isinstance(value, set | frozenset | Iterator | bytes | bytearray) or not isinstance(value, _DATA):
        raise TypeError(type(value).__name__)
    return str(value)  # dates, decimals, UUIDs, paths: their text is the value
