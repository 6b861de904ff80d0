"""The Dask executor: node calls submitted to a Dask distributed cluster.

The engine stays in this process (it decides retries, timeouts, breakers, fallbacks,
skips and the record); each ``NodeCall`` becomes one Dask task (``dask_remote.py`` runs
it on the worker). Given no address, a ``LocalCluster`` of worker processes is started
for the executor's life, which also takes CPU-bound Python past the GIL on one machine.

What a worker gets is only what the call needs: no environment (workers have their
own), the config's databases only for ``SQLDatabaseNode``, and of the run's secrets
only those its params hold, to redact them in what comes back. Dask's own retry of a
task whose worker died is turned off (``allowed-failures: 0`` on the LocalCluster;
the README says how for a scheduler of your own): a lost worker is a failed attempt
(``WorkerLostError``, a ``ConnectionError``) that the node's retry policy decides on.
``dask[distributed]`` is the optional extra ``kailash-cli[dask]``, imported only here.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import pickle
import sys
import threading
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from kailash_cli.engine.context import CURRENT_NODE, CURRENT_RUN
from kailash_cli.engine.dask_code import recipe_of
from kailash_cli.engine.dask_connect import connect, local_cluster, quiet_dask_logs
from kailash_cli.engine.dask_remote import Failure, Outcome, RemoteCall, dumps, run_pickled
from kailash_cli.engine.dask_watch import ClusterWatch
from kailash_cli.engine.executor import Completions, NodeCall
from kailash_cli.engine.local import LocalExecutor
from kailash_cli.errors import UsageError
from kailash_cli.model.stream import holds_stream
from kailash_cli.nodes.python_code import Prepared
from kailash_cli.security.redact import url_passwords

INSTALL_HINT = "pip install 'kailash-cli[dask]'"
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before the run refuses to start


class WorkerLostError(ConnectionError):
    """The worker running a call went away (killed, out of memory, its machine lost)."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as e:
        raise UsageError(
            f"executor 'dask' needs the dask extra, which is not installed ({e.name} is missing); "
            f"install it with: {INSTALL_HINT}"
        ) from None
    quiet_dask_logs()
    return distributed


class DaskExecutor:
    """Runs node calls on a Dask cluster: the one at ``address`` (``tcp://host:8786``), or a
    ``LocalCluster`` of ``workers`` processes (default: one per CPU) made here and closed at
    ``shutdown()``. One executor may serve several runs."""

    inline = False  # every call is a task: the engine never runs one on its own thread

    def __init__(self, address: str | None = None, *, workers: int | None = None) -> None:
        distributed = _distributed()
        self.address = address
        self._cluster: Any = None
        self._futures: dict[Any, Any] = {}
        self._placed: dict[tuple[str | None, str], dict[str, None]] = {}  # (run, node) -> workers
        self._sql_runs: set[str] = set()  # runs whose SQL calls opened pools on workers
        self._sources: dict[Path, str] = {}  # ./file.py sources shipped with the calls
        self._lock = threading.Lock()
        self._here: set[Any] = set()  # tokens of calls run in this process (streams)
        self._here_executor: LocalExecutor | None = None
        self._queues: dict[Any, Completions] = {}
        if address:
            self.client = connect(distributed, address, CONNECT_TIMEOUT)
        else:
            self._cluster = local_cluster(distributed, workers or os.cpu_count() or 1)
            self.client = distributed.Client(self._cluster, set_as_default=False)
            self.address = str(self._cluster.scheduler_address)
        self._watch = ClusterWatch(self.client, self._give_up)

    def describe(self) -> dict[str, Any]:
        """What the run document says of the executor."""
        workers = len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        kind = "local cluster" if self._cluster is not None else "cluster"
        return {"type": "dask", "address": self.address, "cluster": kind, "workers": workers}

    def submit(self, token: Any, call: NodeCall, completions: Completions) -> None:
        if _stays_local(call):
            with self._lock:
                self._here.add(token)
            self._place(call, "local")  # the run's own process
            self._local().submit(token, call, completions)
            return
        remote = self._for_worker(call)
        key = f"kailash-{call.node_id}-{uuid.uuid4().hex}"
        try:  # pickled here, so a call that cannot travel fails with a message of its own
            payload = dumps(remote)
        except Exception as e:  # its params hold what cannot be pickled (an open file, a lock...)
            error = TypeError(f"node '{call.node_id}': its call cannot be sent to a Dask worker: {e}")
            completions.put((token, False, error))
            return
        future = self.client.submit(run_pickled, payload, key=key, pure=False)
        with self._lock:
            self._futures[token] = future
            self._queues[token] = completions
            self._watch.busy.set()
        self._watch.start()
        future.add_done_callback(lambda done: self._done(token, call, done, completions))

    def _give_up(self, reason: str) -> None:
        """The cluster cannot run the calls out (engine/dask_watch.py): each fails as lost."""
        with self._lock:
            out = [(t, f, self._queues.pop(t, None)) for t, f in self._futures.items()]
            self._futures.clear()
            self._watch.busy.clear()
        for token, future, completions in out:
            with contextlib.suppress(Exception):
                future.cancel()
            if completions is not None:
                completions.put((token, False, WorkerLostError(f"{reason}; the call was given up")))

    def _for_worker(self, call: NodeCall) -> RemoteCall:
        sql = call.node_type == "SQLDatabaseNode"
        databases = call.databases if sql else {}
        hidden = url_passwords(spec.url for spec in databases.values())
        secrets = tuple(s for s in call.secrets if _holds(call.params, s)) + tuple(hidden)
        if sql and call.run_id:
            self._sql_runs.add(call.run_id)
        prepared = call.prepared
        recipe = recipe_of(prepared, self._sources) if isinstance(prepared, Prepared) else None
        shipped = replace(
            call,
            environ={},
            databases=databases,
            secrets=secrets,
            prepared=None if recipe else prepared,
        )
        return RemoteCall(shipped, recipe)

    def _done(self, token: Any, call: NodeCall, future: Any, completions: Completions) -> None:
        with self._lock:
            self._queues.pop(token, None)
            if self._futures.pop(token, None) is None:
                return  # cancelled: the engine gave up on it
            if not self._futures:
                self._watch.busy.clear()
        ok, value = False, None
        try:
            outcome: Outcome = future.result()
            ok, value = outcome.ok, pickle.loads(outcome.value) if outcome.ok else outcome.value
            self._place(call, outcome.worker)
            _replay(call, outcome.printed)
        except BaseException as e:  # the task itself failed: its worker died, or it never ran
            value = _task_error(e, future)
            if self._watch.ran_on.get(future.key):  # the worker lost mid-call ran it too
                self._place(call, self._watch.ran_on[future.key])
        self._watch.ran_on.pop(future.key, None)
        if not ok and isinstance(value, Failure):
            value = value.exception()
        completions.put((token, ok, value))

    def _place(self, call: NodeCall, worker: str) -> None:
        with self._lock:
            self._placed.setdefault((call.run_id, call.node_id), {})[worker] = None

    def workers_of(self, run_id: str | None, node_id: str) -> list[str]:
        """The workers that ran the node's calls in that run, in the order first seen."""
        with self._lock:
            return list(self._placed.get((run_id, node_id), ()))

    def _local(self) -> LocalExecutor:
        """The executor of the calls that stay in this process (streams), made on first use."""
        with self._lock:
            if self._here_executor is None:
                self._here_executor = LocalExecutor()
            return self._here_executor

    def cancel(self, token: Any) -> None:
        with self._lock:
            if token in self._here:
                self._here.discard(token)
                assert self._here_executor is not None
                self._here_executor.cancel(token)
                return
            future, _ = self._futures.pop(token, None), self._queues.pop(token, None)
        if future is not None:
            with contextlib.suppress(Exception):  # the cluster may be gone already
                future.cancel()

    def shutdown(self) -> None:
        """Cancel what is still going, close the runs' database pools on the workers, and
        close the client (and the LocalCluster made here)."""
        self._watch.stop()
        with self._lock:
            futures, self._futures = list(self._futures.values()), {}
            runs, self._sql_runs = set(self._sql_runs), set()
        with contextlib.suppress(Exception):  # best effort: a cluster gone needs no cleaning
            if futures:
                self.client.cancel(futures)
            for run_id in runs:
                self.client.run(_close_pools, run_id)
        if self._here_executor is not None:
            self._here_executor.shutdown()
        with contextlib.suppress(Exception):
            self.client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _task_error(error: BaseException, future: Any) -> BaseException:
    name = type(error).__name__
    if name == "KilledWorker":
        return WorkerLostError(f"the Dask worker running the call was lost ({future.key})")
    if name == "CancelledError" or future.cancelled():
        return WorkerLostError("the Dask task was cancelled by the cluster")
    return error


def _replay(call: NodeCall, printed: tuple[str, str]) -> None:
    """What the call printed on the worker, printed here as the node's (the run's capture
    routes it: ``[node] text`` on stderr, or a JSON event)."""
    if not any(printed):
        return

    def write() -> None:
        CURRENT_RUN.set(call.run_id)
        CURRENT_NODE.set(call.node_id)
        for stream, text in zip((sys.stdout, sys.stderr), printed, strict=True):
            if text:
                stream.write(text if text.endswith("\n") else text + "\n")
                stream.flush()

    contextvars.Context().run(write)


def _close_pools(run_id: str) -> None:  # on each worker, when the executor shuts down
    from kailash_cli.db.pools import POOLS

    POOLS.close_run(run_id)


def _stays_local(call: NodeCall) -> bool:
    """Streams stay in this process for now: a reader making one (``chunk_size``: its chunks
    are read lazily from a file opened here) and a node given one (a writer consuming it).
    ``foreach`` items and batches of a stream are plain lists and do go to the workers."""
    params = call.params
    return bool(params.get("chunk_size")) or holds_stream(params)


def _holds(value: Any, secret: str) -> bool:
    """Whether ``secret`` occurs in a string anywhere in ``value``."""
    if isinstance(value, str):
        return secret in value
    if isinstance(value, Mapping):
        return any(_holds(k, secret) or _holds(v, secret) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return any(_holds(v, secret) for v in value)
    return False
