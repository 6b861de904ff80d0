"""Retry policies and circuit breakers, as plain decisions the engine's scheduler applies.

Retries are scheduled by the engine (a timer, not a sleeping thread), so a node waiting
to retry holds no worker; this module only says whether to retry and after how long.
Breaker state is a small dict the run store keeps across runs. Nothing here reads the wall
clock by itself: the policies take ``now``, and ``BreakerBook.now`` is the clock a caller
passes in (``time.time`` by default; breaker times are stored, so they are wall-clock seconds),
so tests decide what time it is.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import random


def exception_names(error: BaseException) -> frozenset[str]:
    """The class names of ``error`` and its bases: ``OSError`` matches ``ConnectionError``."""
    names = set()
    for cls in type(error).__mro__:
        names.add(cls.__name__)
        names.add(f"{cls.__module__}.{cls.__qualname__}")
    return frozenset(names)


def _fibonacci(n: int) -> int:
    a, b = 1, 1
    for _ in range(n - 1):
        a, b = b, a + b
    return a


_GROWTH: dict[str, Callable[[int], float]] = {
    "exponential": lambda n: 2.0 ** (n - 1),
    "linear": lambda n: float(n),
    "fibonacci": lambda n: float(_fibonacci(n)),
    "immediate": lambda n: 0.0,
}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    strategy: str = "exponential"
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: bool = True
    retry_on: frozenset[str] = frozenset()

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> RetryPolicy | None:
        if not spec:
            return None
        return cls(
            max_attempts=int(spec.get("max_attempts", 3)),
            strategy=str(spec.get("strategy", "exponential")),
            base_delay=float(spec.get("base_delay", 1.0)),
            max_delay=float(spec.get("max_delay", 60.0)),
            jitter=bool(spec.get("jitter", True)),
            retry_on=frozenset(spec.get("retry_on") or ()),
        )

    def should_retry(self, error_types: frozenset[str], attempt: int) -> bool:
        """After failed attempt number ``attempt`` (1-based), is there another one?"""
        if attempt >= self.max_attempts:
            return False
        return not self.retry_on or bool(self.retry_on & error_types)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt``; jitter keeps 50-100% of it."""
        delay = min(self.max_delay, self.base_delay * _GROWTH[self.strategy](attempt))
        if self.jitter and delay > 0:
            import random  # at the first retry, not at every start

            delay *= 0.5 + 0.5 * (rng or random).random()
        return delay


CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    failure_threshold: int = 5
    success_threshold: int = 1
    recovery_timeout: float = 60.0

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> BreakerPolicy | None:
        if not spec:
            return None
        return cls(
            failure_threshold=int(spec.get("failure_threshold", 5)),
            success_threshold=int(spec.get("success_threshold", 1)),
            recovery_timeout=float(spec.get("recovery_timeout", 60.0)),
        )

    def admit(self, state: dict[str, Any], now: float) -> tuple[bool, dict[str, Any]]:
        """May the node be called? An open breaker past its recovery time lets one trial through."""
        if state["state"] != OPEN:
            return True, state
        if now - float(state["opened_at"] or 0) >= self.recovery_timeout:
            return True, {**state, "state": HALF_OPEN, "successes": 0}
        return False, state

    def record(self, state: dict[str, Any], ok: bool, now: float) -> dict[str, Any]:
        """The state after one call's outcome."""
        if ok:
            if state["state"] == HALF_OPEN:
                successes = state["successes"] + 1
                if successes >= self.success_threshold:
                    return {"state": CLOSED, "failures": 0, "successes": 0, "opened_at": None}
                return {**state, "successes": successes}
            return {**state, "failures": 0}
        failures = state["failures"] + 1
        if state["state"] == HALF_OPEN or failures >= self.failure_threshold:
            return {"state": OPEN, "failures": failures, "successes": 0, "opened_at": now}
        return {**state, "failures": failures}

    def refusal(self, state: dict[str, Any], now: float) -> str:
        wait = max(0.0, self.recovery_timeout - (now - float(state["opened_at"] or 0)))
        return (  # whole seconds rounded up: "60s" until a full second has passed, however loaded
            f"CircuitOpenError: circuit breaker is open after {state['failures']} failure(s); "
            f"the node was not called (next trial in {math.ceil(wait)}s)"
        )


class BreakerBook:
    """Breaker states by node id; in memory unless a store keeps them across runs.

    ``clock`` gives the time for the breakers' decisions (``now()``); inject a fake one in tests.
    """

    def __init__(
        self,
        load: Callable[[str], dict[str, Any]] | None = None,
        save: Callable[[str, dict[str, Any]], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._load = load
        self._save = save
        self._clock = clock
        self._states: dict[str, dict[str, Any]] = {}

    def now(self) -> float:
        """The current time, in the seconds breaker states store (``opened_at``)."""
        return self._clock()

    def get(self, node_id: str) -> dict[str, Any]:
        if node_id not in self._states:
            fresh = {"state": CLOSED, "failures": 0, "successes": 0, "opened_at": None}
            self._states[node_id] = self._load(node_id) if self._load else fresh
        return self._states[node_id]

    def put(self, node_id: str, state: dict[str, Any]) -> None:
        if state != self._states.get(node_id):
            self._states[node_id] = state
            if self._save:
                self._save(node_id, state)
