"""The seam between the engine and where node calls run.

The engine (scheduling, retries, breakers, the store, audit, redaction) always runs in
the ``kailash`` process. It hands each node call to an :class:`Executor` as a
:class:`NodeCall`: plain data that can be pickled for another process (the node type by
its registry name, the resolved params, the file policy, the environment and the secret
values to keep out of what comes back). The executor reports each outcome on its
``completions`` queue as ``(token, ok, value or exception)``; the engine reads that queue
on its own thread, so every decision stays in one place.

To add an executor: implement the members of :class:`Executor` (``inline``, ``submit``,
``cancel``, ``shutdown``; see ``engine/local.py``) and pass an instance to
``run_workflow(..., executor=...)``.
"""

from __future__ import annotations

import queue
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from kailash_cli.engine.context import CURRENT_NODE, CURRENT_RUN
from kailash_cli.nodes.base import NodeContext, Outputs
from kailash_cli.nodes.files import FileAccess
from kailash_cli.nodes.registry import NODE_TYPES

if TYPE_CHECKING:
    from kailash_cli.nodes.base import NodeType


Completion = tuple[Any, bool, Any]  # (token, ok, outputs or the exception)
Completions = queue.SimpleQueue[Completion]  # one per run: where an executor reports outcomes


@dataclass(slots=True)  # not frozen: a frozen dataclass costs a microsecond more to make, per call
class NodeCall:
    """One attempt of one node, with everything it needs and nothing of the engine's."""

    node_id: str
    node_type: str  # registry name: the type is looked up where the call runs
    params: dict[str, Any]
    files: FileAccess
    environ: Mapping[str, str] = field(default_factory=dict)
    prepared: Any = None  # what the type's prepare() made (a PythonCodeNode's function)
    secrets: tuple[str, ...] = ()  # values an executor that sends results over a wire must redact
    run_id: str | None = None  # the run it belongs to (where its prints go)
    databases: Mapping[str, Any] = field(default_factory=dict)  # the config's, as DatabaseSpec data

    @property
    def type_(self) -> NodeType:
        return NODE_TYPES[self.node_type]

    @property
    def is_async(self) -> bool:
        return self.type_.is_async(self.prepared)

    def context(self, http: Any = None) -> NodeContext:
        return NodeContext(
            node_id=self.node_id,
            files=self.files,
            environ=self.environ,
            prepared=self.prepared,
            http=http,
            databases=self.databases,
            run_id=self.run_id,
        )

    def run(self) -> Outputs:
        """Call a blocking node type here, on this thread."""
        token, run = CURRENT_NODE.set(self.node_id), CURRENT_RUN.set(self.run_id)
        try:
            return NODE_TYPES[self.node_type].run(self.params, self.context())
        finally:
            CURRENT_RUN.reset(run)
            CURRENT_NODE.reset(token)

    async def arun(self, http: Any = None) -> Outputs:
        """Call an async node type on the running event loop; ``http`` makes the shared client."""
        CURRENT_NODE.set(self.node_id)  # a task has its own context: nothing to reset
        CURRENT_RUN.set(self.run_id)
        return await self.type_.arun(self.params, self.context(http))


class Executor(Protocol):
    """Runs node calls somewhere and puts each outcome on the ``completions`` queue given.

    ``submit(token, call, completions)``: run ``call``, then put ``(token, True, outputs)``
    or ``(token, False, exception)`` on ``completions`` (each run has its own queue, so
    one executor can serve several runs, one after another or at once; tokens are unique).
    ``inline``: the engine may call a blocking node on its own thread when nothing else is
    running or waiting (a linear chain then costs microseconds a node, not a hand-off).
    ``cancel(token)`` is called when the engine gives up on a call (its timeout, the run's
    end): its late outcome, if any, is ignored. ``shutdown()`` releases threads, loops and
    clients.
    """

    inline: bool

    def submit(self, token: Any, call: NodeCall, completions: Completions) -> None: ...

    def cancel(self, token: Any) -> None: ...

    def shutdown(self) -> None: ...
