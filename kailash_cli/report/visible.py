"""User text made safe to print: a YAML key or value may hold control characters (an escape
sequence can set the terminal's title or clear the screen, a newline can fake a finding of
its own, and XML 1.0 forbids most of them even escaped). Every text format shows them as
Python escapes (``\\x1b``, ``\\n``, ``\\u202e``); JSON and SARIF escape them themselves."""

from __future__ import annotations

import dataclasses

from kailash_cli.model.result import Problem


def visible(text: str, keep: str = "") -> str:
    """``text`` with every character that is not printable (control, format, line and
    paragraph separator; a plain space is printable) written as its escape, except ``keep``."""
    probe = text
    for ch in keep:
        probe = probe.replace(ch, "")
    if probe.isprintable():  # the common case, checked at C speed (a large JSON result too)
        return text
    return "".join(
        ch if ch.isprintable() or ch in keep else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def visible_problem(problem: Problem, keep: str = "") -> Problem:
    """The finding with its text fields made :func:`visible` (by default one finding, one line)."""
    return dataclasses.replace(
        problem,
        id=visible(problem.id, keep),
        message=visible(problem.message, keep),
        file=None if problem.file is None else visible(problem.file, keep),
        fix=None if problem.fix is None else visible(problem.fix, keep),
    )
