"""``foreach`` nodes: one call per item (or per ``batch.size`` items), results in input order.

A foreach node starts as any node (its ``when``, its inputs); then its items are taken
from an iterator one at a time, only when a call may start (``batch.max_concurrency``,
default the run's), so a lazy source is never read ahead. Each item call is an
``Attempts`` with the item bound as ``${item}`` / ``${item_index}``: it goes through the
executor, the node's retry policy, timeout, breaker and rate limit like any call. When
an item fails for good, ``on_item_error`` decides: ``fail`` fails the node (items not
started never start), ``continue`` keeps null as its result, ``dead_letter`` also sends
it to the dead letters. Each output of the node becomes the list of the per-call values
(with ``batch.size``, a call's list values are concatenated).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass, field
from typing import Any

from kailash_cli.compile.compiler import CompiledNode
from kailash_cli.engine.feeds import StreamFeeds
from kailash_cli.engine.inputs import Fail, check_params
from kailash_cli.engine.settle import Attempts, Settlement
from kailash_cli.model.evaluation import render
from kailash_cli.model.expressions import ExpressionError
from kailash_cli.model.foreach import BatchPolicy, TokenBucket, calls, combine
from kailash_cli.model.result import FAILED, SUCCEEDED, NodeResult
from kailash_cli.model.stream import Feed, Stream
from kailash_cli.nodes.base import Outputs

MAX_ERRORS = 100  # item errors kept in the run document (the counts hold them all)
FAST = 0.001  # an item call quicker than this (seconds) may run inline while items wait


@dataclass(eq=False)
class Items:
    """One foreach node's execution: the items still to call and what came back."""

    node: CompiledNode
    base: dict[str, Any]  # params that arrived through connections
    source: Iterator[tuple[int, Any]]
    total: int | None
    began: float
    limit: int
    policy: BatchPolicy
    results: dict[int, tuple[Outputs | None, int]] = field(default_factory=dict)  # index -> (outputs, items)
    sizes: dict[int, int] = field(default_factory=dict)  # items in each call going on
    running: int = 0
    exhausted: bool = False
    closed: bool = False
    done: int = 0
    failed: int = 0
    attempts: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    fast: bool = True  # every item so far ran in under FAST seconds
    # foreach over a stream (engine/feeds.py): the output stream, and where the calls are
    feed: Feed | None = None
    output: Stream | None = None
    upstream: Feed | None = None  # the items come from a stream this scheduler fills
    started: int = 0  # calls started
    emitted: int = 0  # calls whose result went into the stream
    discarding: bool = False  # nothing reads the stream any more


def items_of(value: Any) -> Iterable[Any]:
    """The items of a foreach value: a list or a stream; anything else fails the node."""
    if isinstance(value, list | tuple | Stream):
        return value
    kind = "null" if value is None else type(value).__name__
    raise Fail(f"foreach must give a list, got {kind}")


class ForEachRuns(StreamFeeds, Settlement):
    """The scheduler's foreach side (``_Run`` in ``scheduler.py`` mixes it in)."""

    groups: list[Items]
    buckets: dict[str, list[TokenBucket]]

    def _start_items(self, node: CompiledNode, base: dict[str, Any]) -> None:
        node_id = node.spec.id
        assert node.foreach is not None and node.batch is not None
        try:
            values = items_of(render(node.foreach, self.inputs.scope))
        except (Fail, ExpressionError) as e:
            self._settle(node_id, NodeResult(FAILED, error=str(e)))
            return
        policy = node.batch
        total = len(values) if isinstance(values, Sized) else None
        limit = policy.max_concurrency or self.options.max_concurrency
        stream = values if isinstance(values, Stream) else None
        upstream = stream.feed if stream else None
        source = calls(
            stream.items() if stream else values,
            policy.size,
            stream,
            upstream.available if upstream else None,
        )
        group = Items(node, base, enumerate(source), total, self.clock(), limit, policy)
        self.observer.node_started(node_id)
        self.groups.append(group)
        if isinstance(values, Stream):
            group.upstream = values.feed
            self._open_feed(group)

    def _next_item(self) -> Attempts | None:
        """The next item call of a foreach node that may start one now; None: none may."""
        for group in list(self.groups):
            while not group.closed and not group.exhausted and group.running < group.limit:
                if not self._feed_has_room(group) or (group.upstream and not group.upstream.available()):
                    break
                try:
                    index, item = next(group.source)
                except StopIteration:
                    group.exhausted = True
                    self._items_maybe_done(group)
                    break
                except Exception as e:  # a stream that cannot be read on: the node fails
                    self._close_items(group, f"{type(e).__name__}: {e}")
                    failed = NodeResult(FAILED, group.attempts, error=f"reading its items: {e}")
                    failed.items = self._summary(group)
                    self._settle(group.node.spec.id, failed)
                    break
                group.running += 1
                group.started += 1
                group.sizes[index] = len(item) if group.policy.size else 1
                try:
                    params = self._item_params(group, index, item)
                except (Fail, ExpressionError) as e:
                    self._item_ended(group, index, None, NodeResult(FAILED, error=str(e)), item)
                    continue
                return Attempts(
                    group.node, params, group.node.spec.id, began=self.clock(), group=group, index=index
                )
        return None

    def _item_params(self, group: Items, index: int, item: Any) -> dict[str, Any]:
        node, scope = group.node, self.inputs.scope
        scope["item"], scope["item_index"] = item, index
        try:
            params = dict(node.defaults)
            params.update(node.config)
            if node.resolve:
                params.update(node.resolve(scope))
        finally:
            del scope["item"], scope["item_index"]
        params.update(group.base)
        check_params(node, params)
        return params

    def _items_waiting(self) -> bool:
        """Whether a foreach node has items it could hand to other workers than this thread."""
        return bool(self.groups) and any(
            not g.fast and not g.exhausted and g.running < g.limit for g in self.groups
        )

    def _item_succeeded(self, call: Attempts, value: Outputs) -> None:
        group = call.group
        assert group is not None
        if self._elapsed(call) > FAST * 1000:
            group.fast = False
        self._item_ended(group, call.index, value, None, call.params, call.attempt)

    def _item_failed(self, call: Attempts, result: NodeResult) -> NodeResult | None:
        """A final failure of an item: None when the node goes on, else the node's failure."""
        group = call.group
        assert group is not None
        if group.closed:
            return None
        if group.policy.on_item_error != "fail":
            if group.policy.on_item_error == "dead_letter":
                self.observer.dead_letter(group.node.spec.id, group.node.spec.type, call.params, result)
            self._item_ended(group, call.index, None, result, call.params, call.attempt)
            return None
        self._close_items(group, f"item {call.index}: {result.error}")
        result.error = f"item {call.index}: {result.error}"
        result.attempts = group.attempts + call.attempt
        result.items = self._summary(group, call.index, result.error)
        return result

    def _item_ended(
        self,
        group: Items,
        index: int,
        value: Outputs | None,
        error: NodeResult | None,
        item: Any,
        attempts: int = 0,
    ) -> None:
        if group.closed:
            return
        group.running -= 1
        group.attempts += attempts
        size = group.sizes.pop(index, 1)
        if error is None:
            group.results[index] = (value, size)
        elif group.policy.on_item_error == "fail":  # an item whose params could not be made
            group.running += 1
            group.sizes[index] = size
            call = Attempts(group.node, {}, group.node.spec.id, began=group.began, group=group, index=index)
            self._final_failure(call, error, dead_letter=False)
            return
        else:
            group.results[index] = (None, size)
            group.failed += size
            if len(group.errors) < MAX_ERRORS:
                group.errors.append({"index": index, "error": error.error})
        group.done += size
        if group.feed is not None:
            self._emit(group)
        self.observer.items_progress(group.node.spec.id, group.done, group.failed, group.total)
        self._items_maybe_done(group)

    def _items_maybe_done(self, group: Items) -> None:
        if not group.exhausted or group.running or group.closed:
            return
        self._end_feed(group, None)
        self._close_items(group)
        outputs = (
            {"result": group.output} if group.output else combine(group.results, bool(group.policy.size))
        )
        duration = (self.clock() - group.began) * 1000
        result = NodeResult(SUCCEEDED, group.attempts, duration, outputs=outputs, items=self._summary(group))
        self._settle(group.node.spec.id, result)

    def _summary(self, group: Items, index: int | None = None, error: str | None = None) -> dict[str, Any]:
        errors = sorted(group.errors, key=lambda e: e["index"])  # by item, whatever order they ended in
        failed = group.failed
        if index is not None:
            errors.append({"index": index, "error": error})
            failed += group.sizes.get(index, 1)
        total = group.total if group.total is not None else group.done + failed
        return {"total": total, "succeeded": group.done - group.failed, "failed": failed, "errors": errors}

    def _stream_deadlock(self, group: Items, why: str) -> None:
        self._close_items(group, why)
        failed = NodeResult(FAILED, group.attempts, (self.clock() - group.began) * 1000, why)
        failed.items = self._summary(group)
        self._settle(group.node.spec.id, failed)

    def _close_items(self, group: Items, why: str = "the node failed") -> None:
        self._end_feed(group, why)
        group.closed = True
        if group in self.groups:
            self.groups.remove(group)

    def _drop_groups(self) -> list[str]:
        """The run stops: every foreach node still going is closed; their ids."""
        ids = [g.node.spec.id for g in self.groups]
        for group in list(self.groups):
            self._close_items(group, "the run stopped")
            if group.feed is not None:
                self.results.pop(group.node.spec.id, None)  # its stand-in result: it did not finish
        return ids

    def _held(self, call: Attempts) -> bool:
        """Whether the call may not start now: its foreach node has ended, or its rate limit
        makes it wait (a timer, as a retry waits for its delay)."""
        if call.group is not None and call.group.closed:
            return True
        wait = self._rate_wait(call)
        if wait > 0:
            self._seq += 1
            heapq.heappush(self.timers, (self.clock() + wait, self._seq, call))
        return wait > 0

    def _drop_items(self, stuck: list[Attempts], why: str) -> list[Attempts]:
        """The run is aborted: each foreach node going on fails once (not once an item)."""
        for node_id in self._drop_groups():
            self._settle(node_id, NodeResult(FAILED, error=why))
        return [c for c in stuck if c.group is None]

    def _rate_wait(self, call: Attempts) -> float:
        """0.0 when the node's rate limits let the call go now (the tokens are taken), else
        the seconds to wait."""
        node = call.node
        if not node.rate and (node.batch is None or not node.batch.rate):
            return 0.0  # no rate limit (the usual case): no bucket to make or ask
        buckets = self.buckets.get(node.spec.id)
        if buckets is None:
            rates = [node.rate, node.batch.rate if node.batch else None]
            buckets = self.buckets[node.spec.id] = [TokenBucket(r) for r in rates if r]
        if not buckets:
            return 0.0
        now = self.clock()
        wait = max(b.next_at - now if b.next_at is not None else 0.0 for b in buckets)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.wait(now)
        return 0.0
