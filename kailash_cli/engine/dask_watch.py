"""A run on a cluster that can no longer run anything fails instead of waiting for ever.

Dask keeps a task waiting while no worker is there to take it, and a client whose scheduler
died keeps trying to reconnect: either way the run would hang with nothing said. The watch
looks every second while calls are out: when the client has lost its scheduler, or the
cluster has had no worker for ``NO_WORKER_GRACE`` seconds (long enough for a restarted or
autoscaled worker to join), every call still out fails as a lost worker, a ConnectionError
the node's retry policy may retry (and a retry on a cluster still without workers fails the
same way, so the run ends).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

NO_WORKER_GRACE = 10.0  # seconds without a worker before the calls out are given up
TICK = 1.0


class ClusterWatch:
    def __init__(
        self, client: Any, give_up: Callable[[str], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self.give_up = give_up  # fails every call still out, with the reason
        self.clock = clock
        self.busy = threading.Event()  # set while calls are out
        self.stopped = threading.Event()
        self.no_worker_since: float | None = None
        self.thread: threading.Thread | None = None
        self.ran_on: dict[str, str] = {}  # task key -> the worker seen running it

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._watch, name="kailash-dask-watch", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _watch(self) -> None:
        while not self.stopped.wait(TICK):
            if self.busy.is_set():
                self.check()

    def check(self) -> None:
        """One look at the cluster (the watch's tick; tests call it with their own clock)."""
        reason = self.reason()
        if reason is not None:
            self.no_worker_since = None
            self.give_up(reason)

    def reason(self) -> str | None:
        status = str(getattr(self.client, "status", "running"))
        if status not in ("running", "newly-created"):
            return f"the Dask scheduler was lost (client {status})"
        try:
            workers = len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
            for worker, keys in self.client.processing().items():  # where each call runs now
                self.ran_on.update(dict.fromkeys(keys, worker))
        except Exception as e:  # the scheduler does not answer
            return f"the Dask scheduler does not answer ({type(e).__name__})"
        if workers:
            self.no_worker_since = None
            return None
        now = self.clock()
        if self.no_worker_since is None:
            self.no_worker_since = now
        if now - self.no_worker_since >= NO_WORKER_GRACE:
            return f"no Dask worker has been there to run it for {NO_WORKER_GRACE:g} s"
        return None
