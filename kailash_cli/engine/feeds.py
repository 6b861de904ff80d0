"""``foreach`` over a stream yields a stream: the engine side of it.

The node's ``result`` is a :class:`~kailash_cli.model.stream.Stream` read from a
:class:`~kailash_cli.model.stream.Feed`. The nodes that read it start at once (they are
released early, before the foreach node has settled) and read its chunks on their own
threads while items are still being called; each call's result goes into the feed in
input order (a batch's list result is one chunk). The engine starts an item only while
the feed has room and the calls going on are within a window of the next chunk due, so
memory stays bounded whatever the size of the stream. A failure of the foreach node (or
the run being stopped) ends the stream with an error that its reader raises. When
nothing is left that could read the stream (its readers were skipped, or failed), the
feed drops what it is given, so the items still run to their end.

A node given a stream never runs inline on the scheduler thread: it would wait there
for chunks that only the scheduler makes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kailash_cli.model.result import SUCCEEDED, NodeResult
from kailash_cli.model.stream import Feed, Stream, StreamError

if TYPE_CHECKING:
    import queue

    from kailash_cli.engine.foreach import Items

WAKE = ("kailash-feed-room", 0)  # the token of a completion that only wakes the scheduler


class StreamFeeds:
    """Mixed into the scheduler's ``_Run`` with ForEachRuns."""

    results: dict[str, NodeResult]
    outputs: dict[str, dict[str, Any]]
    pending: dict[str, int]
    completions: queue.SimpleQueue[Any]
    released_early: dict[str, frozenset[str]]
    compiled: Any
    ready: Any

    if TYPE_CHECKING:  # ForEachRuns'

        def _stream_deadlock(self, group: Items, why: str) -> None: ...

    def _open_feed(self, group: Items) -> None:
        """The node's result is a stream from now on: the nodes that read it may start."""
        node_id = group.node.spec.id
        group.feed = Feed(lambda: self.completions.put((WAKE, True, None)))
        group.output = Stream(group.feed.chunks(), f"{node_id}.result", feed=group.feed)
        outputs = {"result": group.output}
        self.outputs[node_id] = outputs
        self.results[node_id] = NodeResult(SUCCEEDED, outputs=outputs)  # until it settles
        readers = frozenset(
            s
            for s in group.node.successors
            if node_id in self.compiled.nodes[s].data_deps and s in self.pending and s not in self.results
        )  # not one a resume restored
        self.released_early[node_id] = readers
        for successor in readers:
            self.pending[successor] -= 1
            if self.pending[successor] == 0:
                self.ready.append(successor)

    @staticmethod
    def _feed_has_room(group: Items) -> bool:
        if group.feed is None or group.discarding:
            return True
        return group.feed.room() and group.started - group.emitted < group.limit

    @staticmethod
    def _emit(group: Items) -> None:
        """Results that are next in input order, into the stream (and out of memory)."""
        assert group.feed is not None
        batched = bool(group.policy.size)
        while group.emitted in group.results:
            outputs, size = group.results.pop(group.emitted)
            group.emitted += 1
            if group.discarding:
                continue
            value = (outputs.get("result", outputs)) if outputs is not None else None
            if batched and isinstance(value, list):
                chunk = value
            elif batched and outputs is None:
                chunk = [None] * size
            else:
                chunk = [value]
            if chunk:
                group.feed.put(chunk)

    @staticmethod
    def _end_feed(group: Items, why: str | None) -> None:
        if group.feed is not None:
            error = (
                None if why is None else StreamError(f"the stream {group.node.spec.id}.result stopped: {why}")
            )
            group.feed.finish(error)

    def _unblock_feeds(self, groups: list[Items]) -> None:
        """Nothing runs and nothing can start. A stream whose readers have all ended drops its
        chunks and its items go on; a stream whose reader has not started yet (it waits for
        something that waits for this node) cannot be read while it is made: the node fails."""
        for group in list(groups):
            if group.feed is None or group.discarding:
                continue
            node_id = group.node.spec.id
            waiting = sorted(r for r in self.released_early.get(node_id, ()) if r not in self.results)
            if waiting:
                why = (
                    f"its stream cannot be read while it is made: '{waiting[0]}' waits for a node that "
                    f"runs only after '{node_id}' has ended; make '{waiting[0]}' depend on the stream alone"
                )
                self._stream_deadlock(group, why)
                continue
            group.discarding = True
            group.feed.discard()

    def _close_streams(self) -> None:
        """The run is over: streams nobody read to the end release their files."""
        for outputs in self.outputs.values():
            for value in outputs.values():
                if isinstance(value, Stream):
                    value.close()


def has_feed_stream(params: dict[str, Any]) -> bool:
    """Whether a call is given a stream that the scheduler itself fills (never run it inline)."""
    for value in params.values():  # noqa: SIM110 - a plain loop: any() over a generator is slower
        if isinstance(value, Stream) and value.feed is not None:
            return True
    return False
