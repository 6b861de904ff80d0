"""Which finding is reported where two checks find the same thing at the same place.

Precedence is data: a ``Precedence`` row says that where ``winner`` and ``loser`` are found in
the same file, line and column, only ``winner`` is reported. A winner may name the
``kailash validate`` finding that KD705 reports: ``KD705:KV102`` (``KD705`` is any of them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kailash_cli.checks.kailash_config import reported_id
from kailash_cli.model.result import Problem


@dataclass(frozen=True)
class Precedence:
    winner: str
    loser: str
    why: str


PRECEDENCE: tuple[Precedence, ...] = (
    Precedence(
        "KD705:KV102",
        "KD803",
        "a camelCase config key that `kailash validate` rejects (unknown field 'filePath', did you "
        "mean 'file_path'?) is reported once: the node's schema knows the key is wrong, not just "
        "oddly written, and it is the error",
    ),
    Precedence(
        "KD705:KV004",
        "KD803",
        "a camelCase config key written twice is reported once, as the duplicate key (the error)",
    ),
)


def _names(p: Problem) -> tuple[str, ...]:
    inner = reported_id(p)
    return (p.id, f"{p.id}:{inner}") if inner else (p.id,)


def drop_superseded(found: Iterable[Problem], rules: Iterable[Precedence] = PRECEDENCE) -> list[Problem]:
    """The findings without those a winner found at the same place."""
    problems = list(found)
    present = {(name, p.file, p.line, p.column) for p in problems for name in _names(p)}
    beaten: dict[str, set[str]] = {}
    for rule in rules:
        beaten.setdefault(rule.loser, set()).add(rule.winner)
    return [
        p
        for p in problems
        if not any((winner, p.file, p.line, p.column) in present for winner in beaten.get(p.id, ()))
    ]
