"""The worker's side of the Dask executor: one node call, and an outcome safe to send back.

A :class:`RemoteCall` is what travels to a worker: the ``NodeCall`` without its prepared
function, plus the recipe to make that function there (``dask_code.py``). On the worker,
:func:`run_remote` makes the function, runs the call (an async type on an event loop of
its own) and returns an :class:`Outcome`: the outputs (pickled there, with the call's
secrets replaced by ``***``) or the failure as a :class:`Failure` (its class by name, its
message and traceback redacted), which the driver turns back into an exception of the
same class, so ``retry_on`` and the error text are what the local executor gives; where
it ran, and what it printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import pickle
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kailash_cli.engine.dask_code import Recipe, make_prepared
from kailash_cli.engine.executor import NodeCall
from kailash_cli.nodes.base import Outputs
from kailash_cli.security.redact import Redactor


@dataclass(frozen=True, slots=True)
class RemoteCall:
    """A node call as sent to a worker: ``recipe`` makes its prepared function there."""

    call: NodeCall
    recipe: Recipe | None = None


class RemoteError(Exception):
    """A worker's exception whose class this process cannot import: same name, same text."""


@dataclass(frozen=True, slots=True)
class Failure:
    """An exception raised on a worker, as data: class, message and traceback (redacted)."""

    module: str
    qualname: str
    message: str
    detail: str

    def exception(self) -> BaseException:
        """An exception of the same class (or a ``RemoteError`` of the same name) and text."""
        error = _same_class(self.module, self.qualname, self.message)
        if error is None:
            name = self.qualname.rpartition(".")[2]
            cls = type(name, (RemoteError,), {"__module__": self.module, "__qualname__": self.qualname})
            error = cls(self.message) if self.message else cls()
        error.add_note(f"raised on the worker:\n{self.detail.rstrip()}")
        return error


def _same_class(module: str, qualname: str, message: str) -> BaseException | None:
    try:
        target: Any = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
        if not isinstance(target, type) or not issubclass(target, Exception):
            return None
        error: BaseException = target.__new__(target)
        error.args = (message,) if message else ()
        return error if str(error) == message else None
    except Exception:  # any class that cannot be made this way gets a RemoteError of its name
        return None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What comes back from a worker: the outputs (pickled on the worker) or a ``Failure``,
    where it ran, what the call printed (redacted; the driver shows it as the local
    executor would)."""

    ok: bool
    value: Any  # ok: bytes, the pickled outputs; else a Failure
    worker: str
    printed: tuple[str, str] = ("", "")  # (stdout, stderr)


def run_pickled(payload: bytes) -> Outcome:
    """``run_remote`` of a call the driver pickled itself (see ``DaskExecutor.submit``)."""
    try:
        remote = pickle.loads(payload)
    except Exception as e:  # a class of its params cannot be imported here
        return Outcome(False, _failure(e, Redactor(())), _worker_address())
    return run_remote(remote)


def run_remote(remote: RemoteCall) -> Outcome:
    """Run the call on a worker; never raises for the call's own failure.

    The call runs on a thread of its own while the task's thread watches its Dask state:
    once the driver gives up on it (a timeout, the run stopped: the future is cancelled) the
    task returns at once and frees the worker for the next call, as the local executor
    gives a timed-out call's thread up (the call itself cannot be stopped, and is left to
    end on its daemon thread)."""
    outcomes: list[Outcome] = []
    done = threading.Event()
    worker = _worker_address()  # here: the call's own thread is not the task's

    def call() -> None:
        outcomes.append(_run(remote, worker))
        done.set()

    threading.Thread(target=call, name=f"kailash-{remote.call.node_id}", daemon=True).start()
    cancelled = _cancellation()
    while not done.wait(_POLL):
        if cancelled():
            return Outcome(False, None, worker)
    return outcomes[0]


_POLL = 0.05  # seconds between two looks at whether the driver gave the call up


def _cancellation() -> Callable[[], bool]:
    """Whether this task was cancelled by the client (a no-op off a Dask worker)."""
    try:
        from distributed import get_worker

        worker = get_worker()
        key = worker.get_current_task()
    except Exception:  # not on a worker (a test calling it directly): never cancelled
        return lambda: False

    def cancelled() -> bool:
        task = worker.state.tasks.get(key)
        return task is None or task.state != "executing"

    return cancelled


def _run(remote: RemoteCall, worker: str) -> Outcome:
    call = remote.call
    redactor = Redactor(call.secrets)
    value: Any
    with _printed() as printed:
        try:
            if remote.recipe is not None:
                call.prepared = make_prepared(remote.recipe)
            ok, value = True, asyncio.run(_arun(call)) if call.is_async else call.run()
        except BaseException as e:  # the node's failure (sys.exit() too): the driver decides
            ok, value = False, _failure(e, redactor)
    text = (redactor.text(printed[0].getvalue()), redactor.text(printed[1].getvalue()))
    if ok:
        try:  # pickled here, so outputs that cannot travel fail the call, not Dask's transport
            value = dumps(redactor.value(value))
        except Exception as e:
            message = f"the outputs of node '{call.node_id}' cannot be sent back from the worker: {e}"
            ok, value = False, _failure(TypeError(message), redactor)
    return Outcome(ok, value, worker, text)


def dumps(value: Any) -> bytes:
    try:
        import cloudpickle  # what Dask itself falls back on: functions and classes by value
    except ImportError:  # pragma: no cover - dask[distributed] brings cloudpickle
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[no-any-return]


class _ThreadStream:
    """A worker's ``sys.stdout``/``sys.stderr``: what a call prints goes to that call's buffer
    (calls run at once on a worker's threads keep theirs apart), anything else through."""

    def __init__(self, original: Any, index: int) -> None:
        self.original, self.index = original, index

    def write(self, text: str) -> int:
        buffers = getattr(_CALL, "buffers", None)
        return (buffers[self.index] if buffers else self.original).write(text)  # type: ignore[no-any-return]

    def flush(self) -> None:
        if not getattr(_CALL, "buffers", None):
            self.original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


_CALL = threading.local()
_INSTALL = threading.Lock()


@contextlib.contextmanager
def _printed() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    with _INSTALL:
        if not isinstance(sys.stdout, _ThreadStream):
            sys.stdout = _ThreadStream(sys.stdout, 0)
        if not isinstance(sys.stderr, _ThreadStream):
            sys.stderr = _ThreadStream(sys.stderr, 1)
    _CALL.buffers = buffers = (io.StringIO(), io.StringIO())
    try:
        yield buffers
    finally:
        _CALL.buffers = None


async def _arun(call: NodeCall) -> Outputs:
    """An async call on this thread's own loop, with an HTTP client made for it."""
    clients: list[Any] = []

    def http() -> Any:
        if not clients:
            import httpx

            clients.append(httpx.AsyncClient(follow_redirects=True, timeout=30.0))
        return clients[0]

    try:
        return await call.arun(http)
    finally:
        for client in clients:
            await client.aclose()


def _failure(error: BaseException, redactor: Redactor) -> Failure:
    cls = type(error)
    detail = "".join(traceback.format_exception(error))
    return Failure(cls.__module__, cls.__qualname__, redactor.text(str(error)), redactor.text(detail))


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):  # not on a Dask worker (a test calling it directly)
        return "local"
