"""A check: a stable id, a default severity, a title, a rationale and the fix."""

from __future__ import annotations

from dataclasses import dataclass

from kailash_cli.model.result import Problem


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
