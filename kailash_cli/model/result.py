"""Findings and run results as plain data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
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


Finding = Problem  # the public name (``kailash_cli.Finding``)


def location(p: Problem) -> str:
    parts = [p.file or "-"]
    if p.line is not None:
        parts.append(str(p.line))
        if p.column is not None:
            parts.append(str(p.column))
    return ":".join(parts)


def text_line(p: Problem) -> str:
    """``PATH:LINE:COL: severity ID: message; fix: ...``"""
    fix = f"; fix: {p.fix}" if p.fix else ""
    return f"{location(p)}: {p.severity} {p.id}: {p.message}{fix}"


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
    extra: dict[str, Any] | None = None  # a stored result: what the store kept beside it
    items: dict[str, Any] | None = None  # a foreach node: total, succeeded, failed, errors
    workers: list[str] | None = None  # where its calls ran, when the executor says (Dask)

    def extras(self) -> dict[str, Any]:
        """What only some results carry: the fallback that stood in, a restored node, items."""
        if self.extra is not None:
            return dict(self.extra)
        if not (self.fallback or self.restored or self.items or self.workers):
            return {}  # the usual case
        pairs = (
            ("fallback", self.fallback),
            ("restored", self.restored),
            ("items", self.items),
            ("workers", self.workers),
        )
        return {k: v for k, v in pairs if v}

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "attempts": self.attempts,
            "duration_ms": round(self.duration_ms, 3),
            "error": self.error,
            **self.extras(),
        }


@dataclass(slots=True)
class RunResult:
    """A run's record: ``to_dict()`` is the ``run --output json`` document."""

    run_id: str
    workflow: str
    status: str
    started_at: str
    duration_ms: float
    nodes: dict[str, NodeResult]
    outputs: dict[str, Any]
    error: str | None = None  # why the whole run failed, when no single node says it
    params: dict[str, Any] | None = field(default=None, repr=False)  # in stored runs (`runs show`)
    resumed_from: str | None = None
    executor: dict[str, Any] | None = None  # where node calls ran, when not the local executor

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED

    def counts(self) -> dict[str, int]:
        """How many nodes ended in each status."""
        counts: dict[str, int] = {}
        for node in self.nodes.values():
            counts[node.status] = counts.get(node.status, 0) + 1
        return counts

    def shown(self, mask: Callable[[Any], Any], redact: Callable[[str], str]) -> RunResult:
        """What a user may see: outputs masked, secrets out of every error message."""
        nodes = {
            n: replace(
                r,
                error=redact(r.error) if r.error else r.error,
                detail=redact(r.detail) if r.detail else r.detail,
            )
            if r.error or r.detail
            else r  # nothing to redact: the engine's record goes on unchanged
            for n, r in self.nodes.items()
        }
        return replace(
            self,
            outputs=mask(self.outputs),
            nodes=nodes,
            error=redact(self.error) if self.error else self.error,
        )

    @classmethod
    def from_record(cls, run: dict[str, Any]) -> RunResult:
        """A run as the store keeps it (``Store.run``)."""
        nodes = {}
        for node_id, row in run["nodes"].items():
            extra = row["extra"] or {}
            nodes[node_id] = NodeResult(
                row["status"],
                row["attempts"],
                row["duration_ms"] or 0.0,
                row["error"],
                fallback=extra.get("fallback"),
                restored=bool(extra.get("restored")),
                extra=extra,
            )
        return cls(
            run["run_id"],
            run["workflow"],
            run["status"],
            run["started_at"],
            run["duration_ms"],
            nodes,
            run["outputs"] or {},
            run["error"],
            params=run["params"],
            resumed_from=run["resumed_from"],
            executor=run.get("executor"),
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "workflow": self.workflow,
            "status": self.status,
            "started_at": self.started_at,
            "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 3),
            "outputs": self.outputs,
            "nodes": {node_id: r.to_dict() for node_id, r in self.nodes.items()},
        }
        if self.executor:
            data["executor"] = self.executor
        if self.params is not None:  # a stored run: what it ran with, and what it resumed
            data.update(params=self.params, resumed_from=self.resumed_from, error=self.error)
        elif self.error:
            data["error"] = self.error
        return data
