"""The observer that keeps a run in the store."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from kailash_cli.engine.observer import RunObserver
from kailash_cli.errors import KailashError
from kailash_cli.model.result import NodeResult, RunResult
from kailash_cli.model.stream import holds_stream
from kailash_cli.pipeline.store import Store, now_iso
from kailash_cli.report.summary import STORE_LIMIT, is_large, summarised

Redact = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


class RunRecorder(RunObserver):
    """Writes a run into the store: node executions in batches, never one transaction a node.

    A batch is written when ``batch_size`` results are waiting or ``interval`` seconds have
    passed since the last write, and at the end; everything is redacted first. A result
    never waits longer than ``interval``: a timer writes it even when no other node finishes
    (a run killed during a long node keeps the nodes that finished before, for ``--resume``).
    """

    def __init__(
        self,
        store: Store,
        run_id: str,
        workflow: str,
        order: list[str],
        redact: Redact = _same,
        batch_size: int = 500,
        interval: float = 0.5,
        unstored: frozenset[str] = frozenset(),  # store_outputs: false
        output_limit: int = STORE_LIMIT,  # bytes of JSON: larger outputs are kept as a summary
    ) -> None:
        self.store = store
        self.redact_inputs = redact  # a dead letter's inputs
        self.unstored = unstored
        self.output_limit = output_limit
        self.position = {node_id: i for i, node_id in enumerate(order)}
        self.run_id = run_id
        self.workflow = workflow
        self.redact = redact
        self.batch_size = batch_size
        self.interval = interval
        self.rows: list[dict[str, Any]] = []
        self.last_flush = time.monotonic()
        self.began = time.perf_counter()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._closed = False

    def begin(
        self,
        path: str,
        started_at: str,
        params: Any,
        node_hashes: dict[str, str],
        resumed_from: str | None = None,
        user: str | None = None,
        executor: dict[str, Any] | None = None,
    ) -> None:
        self.store.start_run(
            self.run_id,
            self.workflow,
            path,
            started_at,
            self.redact(params),
            node_hashes,
            resumed_from,
            user,
            executor,
        )
        self.began = time.perf_counter()

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        extra = result.extras()
        unstored = node_id in self.unstored or holds_stream(result.outputs)
        large = not unstored and is_large(result.outputs, self.output_limit)
        if unstored:
            outputs = None
        else:  # a large output as a summary (redacted, as a whole one would be), not walked whole
            outputs = self.redact(summarised(result.outputs, self.output_limit) if large else result.outputs)
        if unstored and result.outputs is not None:
            extra["unstored"] = True  # store_outputs: false, or a stream; a resume runs it again
        elif large:
            extra["unstored"] = extra["large"] = True  # a resume runs it again
        elif outputs is not result.outputs and outputs != result.outputs:
            extra["altered"] = True  # masked or redacted: cannot stand in for the real outputs
        row = {
            "node_id": node_id,
            "status": result.status,
            "attempts": result.attempts,
            "duration_ms": result.duration_ms,
            "error": self.redact(result.error),
            "outputs": outputs,
            "extra": self.redact_inputs(extra) if extra else extra,  # per-item errors quote values too
            "position": self.position.get(node_id, len(self.position)),
        }
        with self._lock:
            self.rows.append(row)
            if len(self.rows) >= self.batch_size or time.monotonic() - self.last_flush >= self.interval:
                self._write()
            elif self._timer is None and not self._closed:
                self._timer = threading.Timer(self.interval, self._timed_flush)
                self._timer.daemon = True
                self._timer.start()

    def dead_letter(self, node_id: str, node_type: str, params: dict[str, Any], result: NodeResult) -> None:
        self.store.add_dead_letter(
            self.run_id,
            self.workflow,
            node_id,
            node_type,
            self.redact_inputs(params),
            self.redact(result.error),
            result.attempts,
            now_iso(),
        )

    def flush(self) -> None:
        with self._lock:
            self._write()

    def _write(self) -> None:  # with self._lock held: a timer's write and the last one never overlap
        rows, self.rows = self.rows, []
        self.last_flush = time.monotonic()
        if rows:
            try:
                self.store.record_nodes(self.run_id, rows)
            except BaseException:
                self.rows[:0] = rows  # kept for the next write, which reports the error
                raise

    def _timed_flush(self) -> None:
        with self._lock:
            self._timer = None
            if not self._closed:
                with contextlib.suppress(KailashError):  # the run's own last write reports it
                    self._write()

    def _close(self) -> None:
        """The last write; after it no timer touches the store (it may be closed next)."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._write()

    def finish(self, result: RunResult) -> None:
        self._close()
        self.store.finish_run(
            self.run_id,
            result.status,
            now_iso(),
            result.duration_ms,
            self.redact(
                summarised(
                    {k: v for k, v in result.outputs.items() if k not in self.unstored}, self.output_limit
                )
            ),
            started_at=result.started_at,
        )

    def interrupted(self, why: str = "interrupted") -> None:
        self._close()
        self.store.finish_run(
            self.run_id, "interrupted", now_iso(), (time.perf_counter() - self.began) * 1000, None, why
        )
