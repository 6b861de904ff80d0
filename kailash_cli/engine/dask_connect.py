"""Reaching a Dask scheduler (in bounded time, one clear line when it cannot be done), or
starting a LocalCluster; Dask's own log lines kept out of the run's output."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

from kailash_cli.errors import UsageError


def connect(distributed: Any, address: str, timeout: float) -> Any:
    """A client of the scheduler at ``address``, or a usage error within ``timeout``
    (and a few seconds): the connection is made on a thread of its own, as something that is
    not a Dask scheduler (a web server on that port) may never answer the handshake."""
    outcome: list[Any] = []

    def connect() -> None:
        try:
            outcome.append(distributed.Client(address, timeout=timeout, set_as_default=False))
        except BaseException as e:  # reported below, on the caller's thread
            outcome.append(e)

    sys.unraisablehook = _quiet_client_teardown(sys.unraisablehook)
    thread = threading.Thread(target=connect, name="kailash-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    fix = "check --dask-address, executor.address or DASK_SCHEDULER_ADDRESS, and that the scheduler runs"
    if not outcome:
        raise UsageError(f"the Dask scheduler at {address} did not answer in {timeout:g} s; {fix}")
    if isinstance(outcome[0], BaseException):
        error = outcome[0]
        if isinstance(error, TypeError) and "ssl" in str(error).lower():
            raise UsageError(
                f"{address}: tls:// needs Dask's TLS settings (DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT, "
                "...__KEY, ...__CA_FILE); see the README's Dask section"
            ) from None
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {error}; {fix}") from None
    return outcome[0]


def _quiet_client_teardown(hook: Any) -> Any:
    """A client that never connected complains when it is collected (``Client.__del__``): that
    is not the user's business once the run has said why it could not start."""
    if getattr(hook, "kailash_quiet", False):
        return hook

    def quiet(unraisable: Any) -> None:
        if "Client.__del__" in repr(getattr(unraisable, "object", "")) or "distributed" in repr(
            getattr(unraisable, "object", "")
        ):
            return
        hook(unraisable)

    quiet.kailash_quiet = True  # type: ignore[attr-defined]
    return quiet


def quiet_dask_logs() -> None:
    """Dask's own log lines (reconnect attempts, tracebacks of a lost scheduler) are not
    written: kailash says what happened to each call in its own words and format, so stderr
    stays one line a problem (one JSON object a line with --log-format json)."""
    names = [n for n in logging.root.manager.loggerDict if n == "distributed" or n.startswith("distributed.")]
    for name in {"distributed", *names}:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def local_cluster(distributed: Any, workers: int) -> Any:
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), _stdout_to_stderr():
        return distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,  # a blocking call holds its worker's one thread: CPU work scales
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # its HTTP server (health, metrics): any free port
            worker_dashboard_address="127.0.0.1:0",
            silence_logs=50,  # kailash reports what goes wrong, one line each (JSON logs stay JSON)
        )


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Worker processes started in the block get stderr as their file descriptor 1: nothing
    they write reaches this process's stdout, which holds the run's results."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
