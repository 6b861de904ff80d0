"""Which executor a run uses: ``run_workflow(executor=...)`` (``--executor``, ``--dask-address``),
else the config's ``executor:`` section, else the local one.

A choice is ``"local"``, ``"dask"``, a mapping shaped like the config section
(``{"type": "dask", "address": "tcp://host:8786"}``) or an executor object of the
caller's (which the caller shuts down). A Dask address comes from the choice, else
``executor.address`` (``${NAME}`` read from the environment), else
``DASK_SCHEDULER_ADDRESS``; with none, the run starts a LocalCluster of its own.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any

from kailash_cli.engine.executor import Executor
from kailash_cli.engine.local import LocalExecutor
from kailash_cli.engine.observer import RunObserver
from kailash_cli.errors import UsageError
from kailash_cli.load.config import Config
from kailash_cli.model.result import NodeResult

ADDRESS_VARIABLE = "DASK_SCHEDULER_ADDRESS"
_REFERENCE = re.compile(r"\$\{\s*(?:env\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\}")
_KINDS = ("local", "dask")


def choose(
    choice: object,
    config: Config,
    environ: Mapping[str, str],
    max_concurrency: int,
    stack: contextlib.ExitStack,
) -> Executor:
    """The run's executor; one made here is shut down when ``stack`` closes."""
    if choice is not None and not isinstance(choice, str | Mapping):
        return _own(choice)
    section = config.section("executor")
    given: Mapping[str, Any] = {"type": choice} if isinstance(choice, str) else choice or {}
    unknown = sorted(set(given) - {"type", "address", "workers"})
    if unknown:  # the API's mapping: what the config's executor: section takes, nothing else
        raise UsageError(f"executor: unknown key '{unknown[0]}'; it takes type, address and workers")
    if isinstance(given.get("address"), str) and not given["address"].strip():
        raise UsageError("the Dask scheduler address is empty (an unset variable?); give tcp://host:8786")
    kind = given.get("type") or section.get("type") or "local"
    if kind not in _KINDS:
        raise UsageError(f"unknown executor '{kind}'; use one of: {', '.join(_KINDS)}")
    if kind == "local":
        if given.get("address"):
            raise UsageError(
                "a Dask scheduler address was given with the local executor; use --executor dask"
            )
        return stack.enter_context(LocalExecutor(max_concurrency))
    from kailash_cli.engine.dask_executor import DaskExecutor

    address = given.get("address") or _address(section.get("address"), environ)
    address = address or environ.get(ADDRESS_VARIABLE) or None
    workers = given["workers"] if given.get("workers") is not None else section.get("workers")
    if address is not None:
        check_address(address)
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        raise UsageError(f"executor workers must be a whole number of at least 1, got {workers!r}")
    return stack.enter_context(DaskExecutor(address, workers=workers))


_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/:]+(:[0-9]{1,5})?/?$")


def check_address(address: str) -> None:
    """A scheduler address reads ``tcp://host:8786`` (or tls://...): refused at once otherwise,
    before any connection is tried."""
    if not _ADDRESS.match(address):
        raise UsageError(
            f"'{address}' is not a Dask scheduler address; write tcp://host:8786 "
            "(or tls://host:8786 with Dask's TLS settings)"
        )


def _address(text: object, environ: Mapping[str, str]) -> str | None:
    if not isinstance(text, str):
        return None

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if not environ.get(name):
            raise UsageError(
                f"executor.address names ${{{name}}}, which is not set; set {name} to the scheduler "
                "(tcp://host:8786), or drop executor.address to start a LocalCluster"
            )
        return environ[name]

    return _REFERENCE.sub(value, text)


def _own(choice: object) -> Executor:
    if not all(callable(getattr(choice, name, None)) for name in ("submit", "cancel", "shutdown")):
        raise UsageError(
            f"executor: a {type(choice).__name__} is not an executor; pass 'local', 'dask' or an object "
            "with submit(token, call, completions), cancel(token), shutdown() and inline"
        )
    return choice  # type: ignore[return-value]  # the caller's: the caller shuts it down


def describe(executor: Executor) -> dict[str, Any] | None:
    """What the run document says of an executor other than the local one."""
    if isinstance(executor, LocalExecutor):
        return None
    about = getattr(executor, "describe", None)
    return about() if callable(about) else {"type": type(executor).__name__}


class Placement(RunObserver):
    """Puts on each finished node the workers its calls ran on (an executor that knows
    them: ``workers_of(run_id, node_id)``), before the display and the store see it."""

    def __init__(self, executor: Executor, run_id: str) -> None:
        self.workers_of = getattr(executor, "workers_of", None)
        self.run_id = run_id

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        if self.workers_of is not None and not result.restored:
            result.workers = self.workers_of(self.run_id, node_id) or None
