"""The HTTP client a run's HTTP nodes share, made before the run and sized to it (issue 15).

Three costs made a fan-out of 200 requests at concurrency 50 take 7-13x the ideal:

* the client was made on the event loop at the first request, loading the CA bundle into a
  TLS context that a run of ``http://`` URLs never uses: here the client is made on the
  calling thread before the first request, and the TLS pools only at the first
  ``https://`` request;
* httpcore's connection pool walks every connection for every queued request each time a
  request arrives or a response ends: work proportional to the pool, per request. Requests
  are therefore spread over shards of at most :data:`SHARD_SIZE` connections, each its own
  pool, which together hold ``max_concurrency`` connections (all kept alive between
  waves);
* httpcore looks for ``sniffio`` on every request, searching ``sys.path`` each time it is
  missing: it is a dependency.

Proxies from the environment still apply: httpx mounts them by URL pattern in front of
this transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

SHARD_SIZE = 4  # connections per pool: its bookkeeping walks them all on every request
TIMEOUT_S = 30.0


def make_client(max_concurrency: int) -> httpx.AsyncClient:
    """The run's shared client: redirects followed, 30 s timeout unless a node says otherwise."""
    return httpx.AsyncClient(
        follow_redirects=True, timeout=TIMEOUT_S, transport=ShardedTransport(max_concurrency)
    )


class _Shard:
    __slots__ = ("busy", "transport")

    def __init__(self, transport: httpx.AsyncHTTPTransport) -> None:
        self.transport = transport
        self.busy = 0  # requests sent through it whose response is not closed yet


class ShardedTransport(httpx.AsyncBaseTransport):
    """``max_connections`` connections as shards of small pools; each request goes to the
    least busy shard of its scheme. The TLS shards are made at the first https request."""

    def __init__(self, max_connections: int, shard_size: int = SHARD_SIZE) -> None:
        count = max(1, -(-max_connections // shard_size))
        per_shard = -(-max(1, max_connections) // count)
        self._limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        self._count = count
        self._plain = self._make(tls=False)
        self._tls: list[_Shard] | None = None

    def _make(self, *, tls: bool) -> list[_Shard]:
        # verify=False on the plain shards only skips loading CA certificates they never use
        return [_Shard(httpx.AsyncHTTPTransport(verify=tls, limits=self._limits)) for _ in range(self._count)]

    @property
    def shards(self) -> list[_Shard]:
        return self._plain + (self._tls or [])

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            if self._tls is None:
                self._tls = self._make(tls=True)
            shards = self._tls
        else:
            shards = self._plain
        shard = min(shards, key=_busy)
        shard.busy += 1
        try:
            response = await shard.transport.handle_async_request(request)
        except BaseException:
            shard.busy -= 1
            raise
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Released(response.stream, shard),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for shard in self.shards:
            await shard.transport.aclose()


def _busy(shard: _Shard) -> int:
    return shard.busy


class _Released(httpx.AsyncByteStream):
    """A response body that gives its shard back when closed (once)."""

    def __init__(self, stream: httpx.AsyncByteStream, shard: _Shard) -> None:
        self._stream = stream
        self._shard: _Shard | None = shard

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._shard is not None:
                self._shard.busy -= 1
                self._shard = None
