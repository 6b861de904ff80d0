"""``kailash run --metrics-file / --push-gateway``: the run's metrics, merged into the
textfile and pushed to the Pushgateway. Imported only when one of them is given."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from kailash_cli.model.result import RunResult
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline.setup import existing_store
from kailash_cli.report.metrics import RunFacts, RunMetrics, run_samples
from kailash_cli.report.metrics_file import push, write_metrics


class Publish:
    """The run's metrics: merged into the textfile, pushed to the Pushgateway."""

    def __init__(
        self,
        workflow: Workflow,
        config_path: Path | None,
        target: Path | None,
        push_gateway: str | None,
        warn: Callable[[str], None],
    ) -> None:
        self.workflow = workflow
        self.config_path = config_path
        self.target = target
        self.push_gateway = push_gateway
        self.warn = warn
        self.observed = RunMetrics()  # retries, dead letters
        self.observers = (self.observed,)

    def __call__(self, result: RunResult) -> None:
        facts = RunFacts(self.observed, _breakers(self.workflow, self.config_path), _peak_memory())
        samples = write_metrics(result, self.target, facts, self.warn) if self.target is not None else None
        if self.push_gateway is not None:
            push(self.push_gateway, result.workflow, samples or run_samples(result, facts), self.warn)


def _breakers(workflow: Workflow, config_path: Path | None) -> dict[str, str]:
    """The state each circuit breaker of the workflow is left in (the store keeps it)."""
    guarded = [n for n, spec in workflow.nodes.items() if spec.circuit_breaker]
    if not guarded:
        return {}
    with existing_store(config_path) as store:
        return {n: str(store.breaker(workflow.name, n)["state"]) for n in guarded} if store else {}


def _peak_memory() -> int | None:
    """The process's peak resident memory in bytes (Linux reports kB, macOS bytes)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
