"""Findings and run results as plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: stable id, severity, location (1-based, None where none applies), fix."""

    id: str
    severity: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file or "", self.line or 0, self.column or 0, self.id)


def has_errors(problems: list[Problem] | tuple[Problem, ...]) -> bool:
    return any(p.severity == "error" for p in problems)


SUCCEEDED, FAILED, SKIPPED = "succeeded", "failed", "skipped"


@dataclass(slots=True)
class NodeResult:
    """What happened to one node: status, attempts, duration, error; outputs when it succeeded."""

    status: str
    attempts: int = 0
    duration_ms: float = 0.0
    error: str | None = None
    outputs: dict[str, Any] | None = None
    detail: str | None = None  # traceback, shown with -v only
    fallback: str | None = None  # the node whose outputs stood in after this one failed
    restored: bool = False  # taken from the run being resumed, not executed again

    def extras(self) -> dict[str, Any]:
        """What only some results carry: the fallback that stood in, a restored node."""
        return {k: v for k, v in (("fallback", self.fallback), ("restored", self.restored)) if v}

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "attempts": self.attempts,
                "duration_ms": round(self.duration_ms, 3), "error": self.error, **self.extras()}


@dataclass(slots=True)
class RunResult:
    run_id: str
    workflow: str
    status: str
    started_at: str
    duration_ms: float
    nodes: dict[str, NodeResult]
    outputs: dict[str, Any]
    error: str | None = None  # why the whole run failed, when no single node says it

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        data = {
            "run_id": self.run_id,
            "workflow": self.workflow,
            "status": self.status,
            "started_at": self.started_at,
            "duration_ms": round(self.duration_ms, 3),
            "outputs": self.outputs,
            "nodes": {node_id: r.to_dict() for node_id, r in self.nodes.items()},
        }
        if self.error:
            data["error"] = self.error
        return data
