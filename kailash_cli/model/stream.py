"""Streams: a sequence of chunks (each a list of rows), read lazily and consumed once.

A reader given ``chunk_size`` outputs a :class:`Stream` instead of a list; ``foreach``
over a stream, the writers and ``SQLDatabaseNode`` ``many:`` consume it chunk by chunk,
so a file far larger than memory flows through in bounded memory. ``foreach`` over a
stream yields a stream too: its calls' results go into a :class:`Feed` (a bounded queue,
filled in input order by the engine, emptied by the node reading the stream) so the
engine never runs further ahead of the reader than the feed holds.

A stream is never stored (a resume runs its producer again); where it would be shown (the
run document) it is its summary: how many rows and chunks went through.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from kailash_cli.errors import FileAccessError

FEED_CHUNKS = 4  # chunks a foreach's output stream holds before the engine stops starting items


class StreamError(Exception):
    """A stream that cannot be read: read twice, or its producer failed."""


class Stream:
    """Chunks from ``chunks`` (an iterator), once; ``close`` releases what it reads from."""

    def __init__(
        self,
        chunks: Iterator[list[Any]],
        source: str,
        close: Callable[[], None] | None = None,
        feed: Feed | None = None,
    ) -> None:
        self._chunks = chunks
        self.feed = feed  # a foreach's output: the scheduler fills it
        self.source = source  # "node.output": named in errors
        self._close = close
        self._taken = False
        self.rows = 0
        self.chunks = 0
        self.finished = False
        self._stopped: str | None = None  # why its reader must stop (abort)

    def __iter__(self) -> Iterator[list[Any]]:
        if self._taken:
            raise StreamError(
                f"the stream {self.source} was already read; a stream is consumed once "
                "(read the file again, or drop chunk_size to get a list)"
            )
        self._taken = True
        return self._read()

    def _read(self) -> Iterator[list[Any]]:
        try:
            for chunk in self._chunks:
                if self._stopped is not None:
                    break
                self.chunks += 1
                self.rows += len(chunk)
                yield chunk
            if self._stopped is not None:  # the node reading it was given up: it must not finish
                raise StreamError(f"the stream {self.source} stopped: {self._stopped}")
            self.finished = True
        finally:
            self.close()

    def abort(self, why: str) -> None:
        """The node reading the stream was given up (timed out, stopped): its next read fails,
        so a writer removes its temporary file and a transaction rolls back."""
        self._stopped = why
        if self.feed is not None:
            self.feed.fail(StreamError(f"the stream {self.source} stopped: {why}"))

    def items(self) -> Iterator[Any]:
        """The rows, one by one, across chunks."""
        for chunk in self:
            yield from chunk

    @property
    def opened(self) -> bool:
        return self._taken

    def close(self) -> None:
        close, self._close = self._close, None
        if close is not None:
            close()

    def summary(self) -> dict[str, Any]:
        """What a run document shows of a stream (it is not stored)."""
        read = "fully read" if self.finished else ("partly read" if self._taken else "not read")
        return {"stream": read, "rows": self.rows, "chunks": self.chunks}

    def __repr__(self) -> str:
        return f"<stream {self.source}: {self.rows} rows in {self.chunks} chunks>"


def chunked(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """Lists of at most ``size`` rows."""
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def decoded(chunks: Iterator[list[Any]], path: str, encoding: str) -> Iterator[list[Any]]:
    """``chunks``, a file that turns out not to be ``encoding`` text failing as a read of it does."""
    try:
        yield from chunks
    except UnicodeDecodeError as e:
        raise FileAccessError(f"{path} is not {encoding} text (byte {e.start} of a chunk)") from None


class Feed:
    """The chunks of a foreach's output stream, between the engine (``put``, ``finish``) and
    the node reading it (iterating :meth:`chunks` on its own thread)."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake  # tells the engine room was made (it may start items again)
        self._queue: deque[list[Any]] = deque()
        self._ready = threading.Condition()
        self._end: BaseException | bool = False  # True: finished; an exception: failed

    def room(self) -> bool:
        return len(self._queue) < FEED_CHUNKS

    def available(self) -> bool:
        """Whether reading would not wait (a chunk is there, or the end)."""
        return bool(self._queue) or self._end is not False

    def put(self, chunk: list[Any]) -> None:
        with self._ready:
            if self._end is not False:  # ended (its reader gave up): nothing more is kept
                return
            self._queue.append(chunk)
            self._ready.notify_all()

    def finish(self, error: BaseException | None = None) -> None:
        """No more chunks: the stream ends there (or, with ``error``, fails when read there)."""
        with self._ready:
            if self._end is False:
                self._end = error if error is not None else True
            self._ready.notify_all()

    def fail(self, error: BaseException) -> None:
        """The stream fails at its next read, even if it had ended."""
        with self._ready:
            self._end = error
            self._queue.clear()
            self._ready.notify_all()

    def discard(self) -> None:
        """Nobody reads the stream any more: what it holds is dropped."""
        with self._ready:
            self._queue.clear()

    def chunks(self) -> Iterator[list[Any]]:
        while True:
            with self._ready:
                while not self._queue and self._end is False:
                    self._ready.wait()
                if isinstance(self._end, BaseException):  # failed or aborted: not one more chunk
                    raise self._end
                if self._queue:
                    chunk = self._queue.popleft()
                else:
                    return
            self._wake()
            yield chunk


def holds_stream(values: Any) -> bool:
    """Whether a mapping of params or outputs holds a stream among its values."""
    if isinstance(values, dict):
        for value in values.values():  # noqa: SIM110 - a plain loop: any() over a generator is slower
            if isinstance(value, Stream):
                return True
    return False


def abort_streams(params: dict[str, Any], why: str) -> None:
    """A call given up: the streams it was reading fail at their next read."""
    for value in params.values():
        if isinstance(value, Stream):
            value.abort(why)


def read_streams(params: dict[str, Any]) -> bool:
    """Whether a call was given a stream it began to read (it cannot be read again: no retry)."""
    return any(isinstance(v, Stream) and v.opened for v in params.values())
