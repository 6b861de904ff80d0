"""The outcome of the health checks: one :class:`CheckResult` each, and the whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome; ``detail`` is one line without secrets."""

    name: str
    type: str
    status: str  # "pass" | "fail"
    duration_ms: float
    attempts: int
    detail: str

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 1),
            "attempts": self.attempts,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class HealthReport:
    """Every check's result, in config order; healthy when none failed (or there are none)."""

    checks: tuple[CheckResult, ...] = ()

    @property
    def healthy(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "healthy" if self.healthy else "unhealthy",
            "checks": [check.to_dict() for check in self.checks],
        }
