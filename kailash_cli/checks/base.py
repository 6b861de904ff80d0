"""A check (a stable id, a default severity, a title, a rationale and the fix) and a family of
checks: the checks sharing an id prefix, and the function that finds them in a project."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kailash_cli.model.result import Problem

if TYPE_CHECKING:
    from kailash_cli.checks.project import Project


@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    title: str
    rationale: str
    fix: str
    #: findings may sit on a secret: the baseline hashes the message, never the line
    sensitive: bool = False

    def at(
        self,
        message: str,
        file: str,
        line: int | None,
        column: int | None = None,
        *,
        fix: str | None = None,
        severity: str | None = None,
    ) -> Problem:
        return Problem(self.id, severity or self.severity, message, file, line, column, fix or self.fix)


@dataclass(frozen=True)
class CheckFamily:
    """Checks whose ids start with ``prefix`` (``KD1``: imports), listed as ``KD1xx`` with
    ``title``. ``run`` finds every one of them in the project; the runner keeps the findings
    of the checks that are selected and not ignored. A family's module ends with its
    ``FAMILY``; ``registry.FAMILIES`` lists them."""

    prefix: str
    title: str
    checks: tuple[Check, ...]
    run: Callable[[Project], Iterable[Problem]]
