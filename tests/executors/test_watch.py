"""The cluster watch: a run whose cluster can no longer run anything fails instead of hanging."""

from __future__ import annotations

from typing import Any

from kailash_cli.engine import dask_watch
from kailash_cli.engine.dask_watch import ClusterWatch


class FakeClient:  # what the watch reads of a distributed.Client
    def __init__(self) -> None:
        self.status = "running"
        self.workers: dict[str, Any] = {"tcp://w1": {}}
        self.answers = True

    def processing(self) -> dict[str, list[str]]:
        return {w: [f"task-on-{w}"] for w in self.workers}

    def scheduler_info(self, n_workers: int = -1) -> dict[str, Any]:
        if not self.answers:
            raise OSError("gone")
        return {"workers": self.workers}


def _watch(client: FakeClient) -> tuple[ClusterWatch, list[str], list[float]]:
    reasons: list[str] = []
    now = [0.0]
    return ClusterWatch(client, reasons.append, clock=lambda: now[0]), reasons, now


def test_no_worker_for_the_grace_period_gives_the_calls_up() -> None:
    client = FakeClient()
    watch, reasons, now = _watch(client)
    watch.check()
    client.workers = {}
    watch.check()
    now[0] = dask_watch.NO_WORKER_GRACE - 1
    watch.check()
    assert reasons == []  # a restarted worker has time to join
    now[0] = dask_watch.NO_WORKER_GRACE + 0.5
    watch.check()
    assert reasons == [f"no Dask worker has been there to run it for {dask_watch.NO_WORKER_GRACE:g} s"]


def test_a_worker_back_in_time_resets_the_grace_period() -> None:
    client = FakeClient()
    watch, reasons, now = _watch(client)
    client.workers = {}
    watch.check()
    now[0] = dask_watch.NO_WORKER_GRACE - 1
    client.workers = {"tcp://w2": {}}
    watch.check()
    client.workers = {}
    now[0] = dask_watch.NO_WORKER_GRACE + 1
    watch.check()
    assert reasons == []


def test_a_lost_scheduler_gives_the_calls_up_at_once() -> None:
    client = FakeClient()
    watch, reasons, _ = _watch(client)
    client.status = "connecting"
    watch.check()
    client.status, client.answers = "running", False
    watch.check()
    assert reasons == [
        "the Dask scheduler was lost (client connecting)",
        "the Dask scheduler does not answer (OSError)",
    ]


def test_the_watch_remembers_which_worker_runs_each_call() -> None:
    client = FakeClient()
    watch, _, _ = _watch(client)
    watch.check()
    assert watch.ran_on == {"task-on-tcp://w1": "tcp://w1"}
