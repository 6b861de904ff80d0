"""``foreach``, ``batch`` and ``rate_limit`` of a node as plain data, and the token bucket.

``rate_limit`` reads ``50/s`` or ``300/min`` (a positive number of calls per second or
minute). The bucket holds one token and refills at that rate, so calls are spaced evenly
and no window of any length sees more than the rate allows; it reads the run's injected
clock, so tests advance time instead of sleeping. ``calls`` groups the items into the
calls ``batch.size`` makes, and ``combine`` joins the calls' outputs back in input order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

Outputs = dict[str, Any]
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute)\s*$")
ON_ITEM_ERROR = ("fail", "continue", "dead_letter")


def parse_rate(text: Any) -> float | None:
    """Calls per second of ``50/s`` or ``300/min``; None when the form is wrong or the rate is 0."""
    if not isinstance(text, str):
        return None
    match = _RATE.match(text)
    if not match:
        return None
    calls = float(match.group(1))
    per_second = calls if match.group(2).startswith("s") else calls / 60.0
    return per_second if per_second > 0 else None


class TokenBucket:
    """One token, refilled at ``rate`` a second on the clock the caller passes in."""

    __slots__ = ("interval", "next_at")

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next_at: float | None = None  # when the next token is there (None: now)

    def wait(self, now: float) -> float:
        """0.0 (and the token is taken) or the seconds until one is there (nothing taken)."""
        if self.next_at is None or now >= self.next_at:
            self.next_at = now + self.interval
            return 0.0
        return self.next_at - now


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """``batch:`` of a foreach node (defaults when the node has none)."""

    size: int | None = None  # items a call; ${item} is then a list
    max_concurrency: int | None = None  # calls at once for this node (None: the run's)
    rate: float | None = None  # item calls a second (batch.rate_limit)
    on_item_error: str = "fail"

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> BatchPolicy:
        spec = spec or {}
        return cls(
            size=spec.get("size"),
            max_concurrency=spec.get("max_concurrency"),
            rate=parse_rate(spec.get("rate_limit")),
            on_item_error=spec.get("on_item_error", "fail"),
        )


def calls(
    values: Iterable[Any],
    size: int | None,
    chunks: Iterable[list[Any]] | None = None,
    ready: Callable[[], bool] | None = None,
) -> Iterator[Any]:
    """What each call is given: an item, or with ``size`` a list of up to ``size`` items.
    ``chunks`` (a stream's) are cut into such lists directly, not item by item. ``ready``
    (a stream this run makes) says whether another chunk can be taken without waiting: when
    it cannot, the items held so far are a call of their own (the scheduler never waits)."""
    if size is None:
        yield from values
        return
    if chunks is not None:
        held: list[Any] = []
        for chunk in chunks:
            if not held and len(chunk) == size:
                yield chunk
                continue
            held.extend(chunk)
            while len(held) >= size:
                yield held[:size]
                held = held[size:]
            if held and ready is not None and not ready():
                yield held
                held = []
        if held:
            yield held
        return
    it = iter(values)
    while chunk := list(islice(it, size)):
        yield chunk


def combine(results: dict[int, tuple[Outputs | None, int]], batched: bool) -> Outputs:
    """Each output as the list of the per-call values, in input order (a failed call: null).

    A type without a ``result`` output (HTTPRequestNode) gets one: each call's outputs."""
    ordered = [results[i] for i in sorted(results)]
    keys: dict[str, None] = {}
    for outputs, _ in ordered:
        if outputs:
            keys.update(dict.fromkeys(outputs))
    combined: Outputs = {}
    if "result" not in keys:
        combined["result"] = [outputs for outputs, _ in ordered]
    for key in keys:
        values: list[Any] = []
        for outputs, size in ordered:
            value = outputs.get(key) if outputs else None
            if batched and isinstance(value, list):
                values.extend(value)
            elif batched and outputs is None:
                values.extend([None] * size)
            else:
                values.append(value)
        combined[key] = values
    return combined
