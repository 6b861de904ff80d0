"""Checking values against the ``pattern`` a workflow declares, without a ReDoS hang.

A param's ``pattern`` is the workflow author's regular expression and its value is the
caller's text (``-p``, a params file, a ``POST`` to ``kailash serve``): ``^(a|aa)+$``
against a long run of ``a`` backtracks for longer than anyone waits, and Python's ``re``
cannot be interrupted. The ``regex`` module (a drop-in engine, maintained for over a
decade) takes a timeout, so every pattern in a declaration is matched through it; it is
imported at the first match, so a workflow without patterns does not load it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

#: seconds one pattern may spend on one value (the engine checks it now and then, so a
#: runaway match stops within a few times this)
PATTERN_SECONDS = 0.5


#: how many single-character steps a pattern may unroll to: ``(?:a{65535}){65535}`` would
#: make the engine build billions before matching anything
MAX_EXPANSION = 100_000
_COUNT = re.compile(r"\{(\d+)(?:,(\d*))?\}")


class PatternTimeout(Exception):
    """Matching a value against a pattern took too long; args: the pattern."""


class PatternTooLarge(Exception):
    """A pattern's counted repetitions unroll past :data:`MAX_EXPANSION`; args: the pattern."""


def expansion(pattern: str) -> int:
    """About how many steps ``pattern`` unrolls to: each ``{m,n}`` multiplies what it repeats."""
    sizes, last, i = [0], 1, 0
    while i < len(pattern):
        char, step = pattern[i], 1
        if char == "(":
            sizes.append(0)
        elif char == ")" and len(sizes) > 1:
            last = max(sizes.pop(), 1)
            sizes[-1] += last
        elif (count := _COUNT.match(pattern, i)) is not None:
            times = int(count[2]) if count[2] else int(count[1])
            sizes[-1] += last * (times - 1)
            last, step = last * times, count.end() - i
        else:
            step = 2 if char == "\\" else 1
            if char == "[":  # a class is one step: skip to its end
                end = pattern.find("]", i + 2)
                step = (end if end > 0 else len(pattern)) - i + 1
            last = 1
            sizes[-1] += 1
        i += step
    return sum(sizes)


def check_size(pattern: str) -> None:
    if expansion(pattern) > MAX_EXPANSION:
        raise PatternTooLarge(pattern)


def has_pattern(schema: Any) -> bool:
    """Whether a schema fragment uses ``pattern`` at any depth."""
    if isinstance(schema, dict):
        return "pattern" in schema or any(has_pattern(v) for v in schema.values())
    if isinstance(schema, list):
        return any(has_pattern(v) for v in schema)
    return False


def search(pattern: str, text: str) -> bool:
    import regex

    check_size(pattern)
    try:
        return regex.search(pattern, text, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        raise PatternTimeout(pattern) from None


def _pattern_keyword(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def check_with_patterns(value: Any, schema: dict[str, Any]) -> str | None:
    """First error of ``value`` against ``schema``, its patterns matched under a timeout."""
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import best_match

    checker = validators.extend(Draft202012Validator, {"pattern": _pattern_keyword})
    try:
        error = best_match(checker(schema).iter_errors(value), key=lambda e: 0)
    except PatternTimeout as e:
        return (
            f"took longer than {PATTERN_SECONDS:g} s to match pattern {e.args[0]!r} "
            "(a pattern with nested repetition, like (a+)+, can take exponential time)"
        )
    except PatternTooLarge as e:
        return (
            f"pattern {e.args[0][:80]!r} repeats more than {MAX_EXPANSION:,} steps "
            "(counted repetitions multiply: a{1000}{1000} is a million); use smaller counts"
        )
    return None if error is None else str(error.message)
