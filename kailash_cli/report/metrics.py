"""A run's metrics in Prometheus text format, merged into what earlier runs wrote.

``run --metrics-file`` keeps one textfile (the node_exporter textfile convention) for
every workflow that writes to it: a run adds to its workflow's counters and histogram
(``kailash_runs_total``, ``kailash_node_executions_total``, ...), replaces its gauges
(last run, last success, duration, breaker state, peak memory) and keeps every other
series as it was. :data:`METRICS` is the list of names (the README's table is made from
the same words); ``prometheus_client`` writes and parses the text, imported only here.
The file itself (lock, atomic replace, a push to a Pushgateway) is ``metrics_file.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kailash_cli.engine.observer import RunObserver
from kailash_cli.model.result import SKIPPED, SUCCEEDED, NodeResult, RunResult

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
BREAKER_VALUE = {"closed": 0.0, "half_open": 0.5, "open": 1.0}

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs
Samples = dict[tuple[str, Labels], float]  # (sample name, labels) -> value


@dataclass(frozen=True)
class Family:
    name: str  # as prometheus_client names it: counters without _total
    kind: str  # counter | gauge | histogram
    help: str
    labels: tuple[str, ...]

    def sample_names(self) -> tuple[str, ...]:
        if self.kind == "counter":
            return (self.name + "_total",)
        if self.kind == "histogram":
            return tuple(self.name + s for s in ("_bucket", "_sum", "_count"))
        return (self.name,)

    @property
    def adds(self) -> bool:
        """Counters and histograms grow across runs; gauges are replaced."""
        return self.kind != "gauge"


METRICS = (
    Family("kailash_runs", "counter", "Runs finished, by workflow and status.", ("workflow", "status")),
    Family("kailash_run_duration_seconds", "gauge", "Wall time of the last run.", ("workflow",)),
    Family(
        "kailash_node_executions",
        "counter",
        "Node executions, by node and status.",
        ("workflow", "node", "status"),
    ),
    Family(
        "kailash_node_duration_seconds",
        "histogram",
        "Time a node took, all attempts included.",
        ("workflow", "node", "status"),
    ),
    Family("kailash_node_retries", "counter", "Attempts retried after a failure.", ("workflow", "node")),
    Family(
        "kailash_dead_letters",
        "counter",
        "Node executions that failed for good (kailash dlq).",
        ("workflow", "node"),
    ),
    Family(
        "kailash_circuit_breaker_state",
        "gauge",
        "Circuit breaker after the last run: 0 closed, 0.5 half-open, 1 open.",
        ("workflow", "node"),
    ),
    Family(
        "kailash_last_run_timestamp_seconds",
        "gauge",
        "When the last run ended (Unix time), whatever its status.",
        ("workflow",),
    ),
    Family(
        "kailash_last_success_timestamp_seconds",
        "gauge",
        "When the last succeeded run ended (Unix time).",
        ("workflow",),
    ),
    Family(
        "kailash_run_peak_memory_bytes",
        "gauge",
        "Peak resident memory of the process that ran the last run.",
        ("workflow",),
    ),
)
FAMILY_OF_SAMPLE = {name: f for f in METRICS for name in f.sample_names()}


class RunMetrics(RunObserver):
    """What the result does not say: retries and dead letters, per node, as they happen."""

    def __init__(self) -> None:
        self.retries: dict[str, int] = {}
        self.dead_letters: dict[str, int] = {}

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        self.retries[node_id] = self.retries.get(node_id, 0) + 1

    def dead_letter(self, node_id: str, node_type: str, params: dict[str, Any], result: NodeResult) -> None:
        self.dead_letters[node_id] = self.dead_letters.get(node_id, 0) + 1


@dataclass
class RunFacts:
    """What one run adds to the metrics beyond its result."""

    observed: RunMetrics = field(default_factory=RunMetrics)
    breakers: Mapping[str, str] = field(default_factory=dict)  # node -> closed|open|half_open
    peak_memory_bytes: int | None = None
    ended_at: float = field(default_factory=time.time)


def _key(sample: str, **labels: str) -> tuple[str, Labels]:
    if "le" in labels:  # one spelling of a bound: "1.0" (prometheus_client's), never "1"
        labels["le"] = _bound(labels["le"])
    return sample, tuple(sorted(labels.items()))


def _bound(le: str) -> str:
    try:
        bound = float(le)
    except ValueError:
        return le
    return "+Inf" if bound == float("inf") else repr(bound)


def run_samples(result: RunResult, facts: RunFacts | None = None) -> Samples:
    """The samples one run contributes (counters as increments)."""
    facts = facts or RunFacts()
    wf = result.workflow
    out: Samples = {
        _key("kailash_runs_total", workflow=wf, status=result.status): 1.0,
        _key("kailash_run_duration_seconds", workflow=wf): result.duration_ms / 1000,
        _key("kailash_last_run_timestamp_seconds", workflow=wf): facts.ended_at,
    }
    if result.status == SUCCEEDED:
        out[_key("kailash_last_success_timestamp_seconds", workflow=wf)] = facts.ended_at
    if facts.peak_memory_bytes is not None:
        out[_key("kailash_run_peak_memory_bytes", workflow=wf)] = float(facts.peak_memory_bytes)
    for node_id, node in result.nodes.items():
        labels = {"workflow": wf, "node": node_id, "status": node.status}
        key = _key("kailash_node_executions_total", **labels)
        out[key] = out.get(key, 0.0) + 1.0
        if node.status != SKIPPED and not node.restored:
            _observe(out, labels, node.duration_ms / 1000)
    for name, counts in (
        ("kailash_node_retries_total", facts.observed.retries),
        ("kailash_dead_letters_total", facts.observed.dead_letters),
    ):
        for node_id, count in counts.items():
            out[_key(name, workflow=wf, node=node_id)] = float(count)
    for node_id, state in facts.breakers.items():
        value = BREAKER_VALUE.get(state, 0.0)
        out[_key("kailash_circuit_breaker_state", workflow=wf, node=node_id)] = value
    return out


def _observe(out: Samples, labels: dict[str, str], seconds: float) -> None:
    base = "kailash_node_duration_seconds"
    for bound in (*BUCKETS, float("inf")):
        key = _key(base + "_bucket", **labels, le=str(bound))
        out[key] = out.get(key, 0.0) + (1.0 if seconds <= bound else 0.0)
    for suffix, value in (("_sum", seconds), ("_count", 1.0)):
        key = _key(base + suffix, **labels)
        out[key] = out.get(key, 0.0) + value


def merge(old: Samples, new: Samples) -> Samples:
    """``old`` with ``new`` added (counters, histograms) or put in place (gauges)."""
    merged = dict(old)
    for key, value in new.items():
        family = FAMILY_OF_SAMPLE.get(key[0])
        merged[key] = merged.get(key, 0.0) + value if family is not None and family.adds else value
    return merged


def parse(text: str) -> tuple[Samples, dict[str, tuple[str, str]]]:
    """The samples of a textfile and the (type, help) of families that are not kailash's.

    Raises ValueError when the text is not Prometheus text format.
    """
    from prometheus_client.parser import text_string_to_metric_families

    samples: Samples = {}
    foreign: dict[str, tuple[str, str]] = {}
    for family in text_string_to_metric_families(text):
        ours = {f.name: f for f in METRICS}.get(family.name)
        if ours is None:
            foreign[family.name] = (family.type, family.documentation)
        for sample in family.samples:
            if ours is not None and sample.name not in ours.sample_names():
                continue  # e.g. a _created sample: not kept
            samples[_key(sample.name, **sample.labels)] = float(sample.value)
    return samples, foreign


def render(samples: Samples, foreign: Mapping[str, tuple[str, str]] | None = None) -> str:
    """Prometheus text format (``prometheus_client.generate_latest``)."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector(samples, foreign or {}))  # type: ignore[arg-type]
    return generate_latest(registry).decode("utf-8")


class Collector:
    """Gives ``samples`` to a prometheus_client registry, one metric family each."""

    def __init__(self, samples: Samples, foreign: Mapping[str, tuple[str, str]]) -> None:
        self.samples = samples
        self.foreign = foreign

    def collect(self) -> Iterator[Any]:
        from prometheus_client.metrics_core import Metric

        kinds = {f.name: (f.kind, f.help) for f in METRICS} | dict(self.foreign)
        for name, (kind, help_) in kinds.items():
            metric = Metric(name, help_, kind)
            mine = sorted((k for k in self.samples if _family_name(k[0], kinds) == name), key=_order)
            for sample, labels in mine:
                metric.add_sample(sample, dict(labels), self.samples[(sample, labels)])
            if metric.samples:
                yield metric


def _order(key: tuple[str, Labels]) -> tuple[Labels, int, float, str]:
    """A series' samples together; histogram buckets by bound, then _sum and _count."""
    sample, labels = key
    rest = tuple(kv for kv in labels if kv[0] != "le")
    try:
        bound = float(dict(labels).get("le", "0"))
    except ValueError:
        bound = 0.0
    rank = 1 if sample.endswith("_sum") else 2 if sample.endswith("_count") else 0
    return rest, rank, bound, sample


def _family_name(sample: str, kinds: Mapping[str, Any]) -> str | None:
    family = FAMILY_OF_SAMPLE.get(sample)
    if family is not None:
        return family.name
    for suffix in ("_total", "_bucket", "_sum", "_count", "_created", "_info", ""):
        if suffix and sample.endswith(suffix) and sample[: -len(suffix)] in kinds:
            return sample[: -len(suffix)]
    return sample if sample in kinds else None


def of_workflow(samples: Samples, workflow: str) -> Samples:
    """The series of one workflow (what a push to a Pushgateway sends)."""
    return {k: v for k, v in samples.items() if ("workflow", workflow) in k[1]}


def names() -> Iterable[str]:
    """Every sample name kailash writes."""
    return FAMILY_OF_SAMPLE
