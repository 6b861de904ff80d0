"""Retry policies and circuit breakers as pure decisions (no clock, no engine)."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from kailash_cli.model.resilience import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    BreakerBook,
    BreakerPolicy,
    RetryPolicy,
    exception_names,
)

# -- exception names --------------------------------------------------------------------


def test_exception_names_include_every_base_class() -> None:
    names = exception_names(ConnectionRefusedError("no"))

    assert {
        "ConnectionRefusedError",
        "ConnectionError",
        "OSError",
        "Exception",
        "BaseException",
        "builtins.ConnectionError",
        "builtins.OSError",
    } <= names
    assert "ValueError" not in names


def test_exception_names_of_a_user_class_carry_its_module() -> None:
    class ServiceDown(TimeoutError):
        pass

    names = exception_names(ServiceDown())

    assert {
        "ServiceDown",
        "TimeoutError",
        "OSError",
        f"{__name__}.test_exception_names_of_a_user_class_carry_its_module.<locals>.ServiceDown",
    } <= names


# -- retry ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "base", "expected"),
    [
        ("exponential", 0.5, [0.5, 1.0, 2.0, 4.0, 8.0]),
        ("linear", 0.2, [0.2, 0.4, 0.6000000000000001, 0.8, 1.0]),
        ("fibonacci", 0.1, [0.1, 0.1, 0.2, 0.30000000000000004, 0.5, 0.8]),
        ("immediate", 3.0, [0.0, 0.0, 0.0]),
    ],
)
def test_delay_of_each_strategy_without_jitter(strategy: str, base: float, expected: list[float]) -> None:
    policy = RetryPolicy(max_attempts=10, strategy=strategy, base_delay=base, jitter=False)

    assert [policy.delay(n) for n in range(1, len(expected) + 1)] == expected


def test_max_delay_caps_every_strategy() -> None:
    exponential = RetryPolicy(strategy="exponential", base_delay=1.0, max_delay=5.0, jitter=False)
    fibonacci = RetryPolicy(strategy="fibonacci", base_delay=1.0, max_delay=4.0, jitter=False)

    assert [exponential.delay(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert [fibonacci.delay(n) for n in range(1, 8)] == [1.0, 1.0, 2.0, 3.0, 4.0, 4.0, 4.0]


class _FixedRandom(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def test_jitter_keeps_between_half_and_all_of_the_delay() -> None:
    policy = RetryPolicy(strategy="linear", base_delay=2.0, max_delay=100.0, jitter=True)

    assert policy.delay(3, _FixedRandom(0.0)) == 3.0  # 6.0 * 0.5
    assert policy.delay(3, _FixedRandom(0.5)) == 4.5  # 6.0 * 0.75
    rng = random.Random(42)
    delays = [policy.delay(3, rng) for _ in range(500)]
    assert all(3.0 <= d <= 6.0 for d in delays)
    assert min(delays) < 3.3 and max(delays) > 5.7  # it does spread over the range
    assert RetryPolicy(strategy="immediate", jitter=True).delay(1, rng) == 0.0


def test_max_attempts_bounds_the_retries() -> None:
    policy = RetryPolicy(max_attempts=3)
    error = exception_names(ConnectionError())

    assert [policy.should_retry(error, attempt) for attempt in (1, 2, 3, 4)] == [True, True, False, False]
    assert RetryPolicy(max_attempts=1).should_retry(error, 1) is False


def test_retry_on_matches_the_class_or_any_base() -> None:
    policy = RetryPolicy(max_attempts=5, retry_on=frozenset({"OSError"}))
    only_connection = RetryPolicy(max_attempts=5, retry_on=frozenset({"ConnectionError"}))

    assert policy.should_retry(exception_names(ConnectionResetError()), 1) is True
    assert policy.should_retry(exception_names(TimeoutError()), 1) is True
    assert policy.should_retry(exception_names(ValueError()), 1) is False
    assert only_connection.should_retry(exception_names(ValueError("bad row")), 1) is False
    assert only_connection.should_retry(exception_names(OSError()), 1) is False  # a base is not a subclass
    assert only_connection.should_retry(exception_names(ConnectionRefusedError()), 1) is True


def test_without_retry_on_every_error_is_retried() -> None:
    policy = RetryPolicy(max_attempts=2)

    assert policy.should_retry(exception_names(KeyError("x")), 1) is True


def test_retry_policy_from_spec_fills_the_schema_defaults() -> None:
    assert RetryPolicy.from_spec(None) is None
    assert RetryPolicy.from_spec({}) is None
    assert RetryPolicy.from_spec({"max_attempts": 2}) == RetryPolicy(
        max_attempts=2,
        strategy="exponential",
        base_delay=1.0,
        max_delay=60.0,
        jitter=True,
        retry_on=frozenset(),
    )
    assert RetryPolicy.from_spec(
        {
            "strategy": "linear",
            "base_delay": 0.2,
            "max_delay": 1,
            "jitter": False,
            "retry_on": ["ConnectionError", "TimeoutError"],
        }
    ) == RetryPolicy(3, "linear", 0.2, 1.0, False, frozenset({"ConnectionError", "TimeoutError"}))


# -- circuit breaker --------------------------------------------------------------------

FRESH: dict[str, Any] = {"state": CLOSED, "failures": 0, "successes": 0, "opened_at": None}


def test_breaker_opens_after_failure_threshold() -> None:
    policy = BreakerPolicy(failure_threshold=3, success_threshold=1, recovery_timeout=10)
    state = dict(FRESH)

    state = policy.record(state, False, 100.0)
    state = policy.record(state, False, 101.0)
    assert state == {"state": CLOSED, "failures": 2, "successes": 0, "opened_at": None}
    assert policy.admit(state, 101.0) == (True, state)
    state = policy.record(state, False, 102.0)

    assert state == {"state": OPEN, "failures": 3, "successes": 0, "opened_at": 102.0}
    assert policy.admit(state, 111.9) == (False, state)
    assert policy.refusal(state, 104.0) == (
        "CircuitOpenError: circuit breaker is open after 3 failure(s); the node was not called "
        "(next trial in 8s)"
    )


def test_a_success_while_closed_resets_the_failure_count() -> None:
    policy = BreakerPolicy(failure_threshold=2)

    state = policy.record(policy.record(dict(FRESH), False, 1.0), True, 2.0)

    assert state == FRESH
    assert policy.record(state, False, 3.0)["state"] == CLOSED


def test_breaker_half_opens_after_recovery_timeout_and_closes_after_success_threshold() -> None:
    policy = BreakerPolicy(failure_threshold=1, success_threshold=2, recovery_timeout=0.5)
    opened = policy.record(dict(FRESH), False, 50.0)

    allowed, trial = policy.admit(opened, 50.5)

    assert allowed is True
    assert trial == {"state": HALF_OPEN, "failures": 1, "successes": 0, "opened_at": 50.0}
    once = policy.record(trial, True, 50.6)
    assert once == {"state": HALF_OPEN, "failures": 1, "successes": 1, "opened_at": 50.0}
    assert policy.admit(once, 50.7) == (True, once)
    assert policy.record(once, True, 50.8) == FRESH


def test_a_failed_trial_opens_the_breaker_again() -> None:
    policy = BreakerPolicy(failure_threshold=5, success_threshold=1, recovery_timeout=1)
    half_open = {"state": HALF_OPEN, "failures": 5, "successes": 0, "opened_at": 10.0}

    state = policy.record(half_open, False, 20.0)

    assert state == {"state": OPEN, "failures": 6, "successes": 0, "opened_at": 20.0}
    assert policy.admit(state, 20.5)[0] is False


def test_breaker_policy_from_spec() -> None:
    assert BreakerPolicy.from_spec(None) is None
    assert BreakerPolicy.from_spec({"failure_threshold": 2}) == BreakerPolicy(2, 1, 60.0)
    assert BreakerPolicy.from_spec(
        {"failure_threshold": 2, "success_threshold": 3, "recovery_timeout": 0.5}
    ) == BreakerPolicy(2, 3, 0.5)


def test_breaker_book_loads_once_and_saves_only_changes() -> None:
    loads: list[str] = []
    saves: list[tuple[str, dict[str, Any]]] = []
    stored = {"state": OPEN, "failures": 4, "successes": 0, "opened_at": 1.0}

    def load(node_id: str) -> dict[str, Any]:
        loads.append(node_id)
        return dict(stored)

    book = BreakerBook(load, lambda n, s: saves.append((n, s)))

    assert book.get("call") == stored
    assert book.get("call") == stored
    book.put("call", dict(stored))  # unchanged: not written
    book.put("call", dict(FRESH))

    assert loads == ["call"]
    assert saves == [("call", FRESH)]
    assert book.get("call") == FRESH


def test_breaker_book_without_a_store_starts_closed() -> None:
    book = BreakerBook()

    assert book.get("x") == FRESH
    book.put("x", {**FRESH, "failures": 1})
    assert book.get("x")["failures"] == 1


def test_breaker_book_decides_by_its_injected_clock() -> None:
    clock = iter([100.0, 130.4, 159.6, 160.0])
    book = BreakerBook(clock=lambda: next(clock))
    policy = BreakerPolicy(failure_threshold=1, recovery_timeout=60)

    book.put("call", policy.record(book.get("call"), False, book.now()))  # opened at 100.0
    refusals = []
    for _ in range(2):
        allowed, state = policy.admit(book.get("call"), now := book.now())
        assert not allowed
        refusals.append(policy.refusal(state, now))
    allowed, state = policy.admit(book.get("call"), book.now())

    assert refusals == [
        "CircuitOpenError: circuit breaker is open after 1 failure(s); the node was not called "
        f"(next trial in {wait}s)"
        for wait in (30, 1)  # 29.6 s and 0.4 s left, rounded up
    ]
    assert (allowed, state["state"]) == (True, HALF_OPEN)


def test_breaker_book_reads_the_wall_clock_by_default() -> None:
    before = time.time()
    now = BreakerBook().now()
    assert before <= now <= time.time()
