"""``GET /metrics``: Prometheus text from the store (runs, durations, node executions, dead
letters: every run the store holds, this server's and others') and from this process
(requests, runs in progress, runs refused). One registry per app: no module state."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from kailash_cli.pipeline.store import run_alive
from kailash_cli.report.metrics import BUCKETS

_LIVE = (
    "SELECT workflow, status, pid, COUNT(*), NULL, NULL FROM runs WHERE status != 'running' "
    "GROUP BY workflow, status UNION ALL "
    "SELECT workflow, status, pid, 1, run_id, started_at FROM runs WHERE status = 'running'"
)


def _histogram_sql(table: str, keys: str, where: str = "") -> str:
    """Per group: the count at or under each bucket, the count and the sum (seconds)."""
    buckets = ", ".join(f"SUM(duration_ms <= {bound * 1000!r})" for bound in BUCKETS)
    return (
        f"SELECT {keys}, {buckets}, COUNT(*), SUM(duration_ms) / 1000.0 FROM {table} "
        f"WHERE duration_ms IS NOT NULL {where} GROUP BY {keys}"
    )


class StoreCollector(Collector):
    """Reads the run store at each scrape (a read-only connection; nothing when no run ran yet)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("kailash_store_up", "1 when the run store could be read at this scrape.")
        if not self.path.is_file():
            up.add_metric([], 1)
            yield up
            return
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5.0)
            try:
                families = list(self._families(db))
            finally:
                db.close()
        except sqlite3.Error:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self, db: sqlite3.Connection) -> Iterator[Metric]:
        yield from _run_counts(db)
        yield self._histogram(
            db,
            HistogramMetricFamily(
                "kailash_run_seconds",
                "Wall time of the finished runs in the store (the textfile's "
                "kailash_run_duration_seconds is the last run's).",
                labels=["workflow", "status"],
            ),
            _histogram_sql("runs", "workflow, status", "AND status != 'running'"),
            2,
        )
        nodes = CounterMetricFamily(
            "kailash_node_executions",
            "Node executions, by workflow, node and status.",
            labels=["workflow", "node", "status"],
        )
        query = (
            "SELECT r.workflow, n.node_id, n.status, COUNT(*) FROM node_executions n "
            "JOIN runs r ON r.run_id = n.run_id GROUP BY 1, 2, 3"
        )
        for workflow, node, status, count in db.execute(query):
            nodes.add_metric([workflow, node, status], count)
        yield nodes
        yield self._histogram(
            db,
            HistogramMetricFamily(
                "kailash_node_duration_seconds",
                "Time a node took, all attempts included.",
                labels=["workflow", "node", "status"],
            ),
            _histogram_sql(
                "(SELECT r.workflow, n.node_id, n.status, n.duration_ms FROM node_executions n "
                "JOIN runs r ON r.run_id = n.run_id WHERE n.status != 'skipped')",
                "workflow, node_id, status",
            ),
            3,
        )
        letters = CounterMetricFamily(
            "kailash_dead_letters", "Dead letters, by workflow and node.", labels=["workflow", "node"]
        )
        for workflow, node, count in db.execute(
            "SELECT workflow, node_id, COUNT(*) FROM dead_letters GROUP BY 1, 2"
        ):
            letters.add_metric([workflow, node], count)
        yield letters
        yield from _last_times(db)

    def _histogram(
        self, db: sqlite3.Connection, family: HistogramMetricFamily, query: str, keys: int
    ) -> Metric:
        for row in db.execute(query):
            labels, cumulative = [str(v) for v in row[:keys]], row[keys : keys + len(BUCKETS)]
            count, total = row[-2], row[-1] or 0.0
            buckets: list[tuple[str, Any]] = [
                (repr(float(b)), n) for b, n in zip(BUCKETS, cumulative, strict=True)
            ]
            family.add_metric(labels, [*buckets, ("+Inf", count)], total)
        return family


def _run_counts(db: sqlite3.Connection) -> Iterator[Metric]:
    """Finished runs (a counter: it never goes down) and runs going on (a gauge, 0 for every
    workflow in the store with none). A run recorded running whose process is gone is
    finished: interrupted, as `kailash runs` shows it."""
    runs = CounterMetricFamily(
        "kailash_runs",
        "Finished runs in the store (succeeded, failed, interrupted), by workflow and status.",
        labels=["workflow", "status"],
    )
    going = GaugeMetricFamily(
        "kailash_runs_in_progress",
        "Runs recorded running by a live process, by workflow.",
        labels=["workflow"],
    )
    counts: dict[tuple[str, str], int] = {}
    live: dict[str, int] = {}
    for workflow, status, pid, count, run_id, started_at in db.execute(_LIVE):
        live.setdefault(workflow, 0)
        if status == "running" and run_alive(pid, run_id, started_at):
            live[workflow] += count
            continue
        status = "interrupted" if status == "running" else status
        counts[workflow, status] = counts.get((workflow, status), 0) + count
    for labels, count in sorted(counts.items()):
        runs.add_metric(list(labels), count)
    for workflow, count in sorted(live.items()):
        going.add_metric([workflow], count)
    yield runs
    yield going


def _last_times(db: sqlite3.Connection) -> Iterator[Metric]:
    """When each workflow's last run, and last successful run, finished (Unix seconds)."""
    epoch = "(julianday(finished_at) - 2440587.5) * 86400.0"
    for name, what, where in (
        ("kailash_last_run_timestamp_seconds", "run", "finished_at IS NOT NULL"),
        ("kailash_last_success_timestamp_seconds", "successful run", "status = 'succeeded'"),
    ):
        family = GaugeMetricFamily(name, f"When the workflow's last {what} finished.", labels=["workflow"])
        query = f"SELECT workflow, MAX({epoch}) FROM runs WHERE {where} GROUP BY workflow"
        for workflow, seconds in db.execute(query):
            if seconds is not None:
                family.add_metric([workflow], round(seconds, 3))
        yield family


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ServeMetrics:
    """This server's registry: the store's metrics and the live process's."""

    def __init__(self, store: Path, in_progress: Callable[[], int]) -> None:
        disable_created_metrics()  # no *_created series: they double every counter for no use here
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "kailash_serve_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kailash_serve_request_duration_seconds",
            "Time to answer a request.",
            ["method", "route"],
            registry=self.registry,
        )
        self.refused = Counter(
            "kailash_serve_runs_refused",
            "Runs refused: max_concurrency reached or stopping.",
            ["reason"],
            registry=self.registry,
        )
        running = Gauge(
            "kailash_serve_runs_in_progress", "Runs going on in this server.", registry=self.registry
        )
        running.set_function(in_progress)
        self.registry.register(StoreCollector(store))

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"  # a client's made-up methods make no series
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
