"""Checking values against the ``pattern`` a workflow declares, without a ReDoS hang.

A param's ``pattern`` is the workflow author's regular expression and its value is the
caller's text (``-p``, a params file, a ``POST`` to ``kailash serve``): ``^(a|aa)+$``
against a long run of ``a`` backtracks for longer than anyone waits, and Python's ``re``
cannot be interrupted. The ``regex`` module (a drop-in engine, maintained for over a
decade) takes a timeout, so every pattern in a declaration is matched through it; it is
imported at the first match, so a workflow without patterns does not load it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

#: seconds one pattern may spend on one value (the engine checks it now and then, so a
#: runaway match stops within a few times this)
PATTERN_SECONDS = 0.5


class PatternTimeout(Exception):
    """Matching a value against a pattern took too long; args: the pattern."""


def has_pattern(schema: Any) -> bool:
    """Whether a schema fragment uses ``pattern`` at any depth."""
    if isinstance(schema, dict):
        return "pattern" in schema or any(has_pattern(v) for v in schema.values())
    if isinstance(schema, list):
        return any(has_pattern(v) for v in schema)
    return False


def search(pattern: str, text: str) -> bool:
    import regex

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
    return None if error is None else str(error.message)
