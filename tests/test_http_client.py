"""The run's shared HTTP client (engine/http_client.py): sharded pools, TLS only for https,
made before the run. Against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import http_server, write

from kailash_cli import run_workflow
from kailash_cli.engine.executor import Completions, NodeCall
from kailash_cli.engine.http_client import ShardedTransport, make_client
from kailash_cli.engine.local import LocalExecutor


class _Ports(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a connection serves several requests
    ports: set[int] = set()

    def do_GET(self) -> None:
        type(self).ports.add(self.client_address[1])
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


async def _fan_out(client: httpx.AsyncClient, url: str, count: int) -> list[int]:
    responses = await asyncio.gather(*(client.get(f"{url}/{i}") for i in range(count)))
    return [r.status_code for r in responses]


def test_requests_spread_over_shards_within_the_connection_limit() -> None:
    transport = ShardedTransport(8, shard_size=4)
    _Ports.ports = set()

    async def main(url: str) -> list[int]:
        async with httpx.AsyncClient(transport=transport) as client:
            return await _fan_out(client, url, 40)

    with http_server(_Ports) as url:
        codes = asyncio.run(main(url))
    assert codes == [200] * 40
    assert [s.busy for s in transport.shards] == [0, 0]  # every response gave its shard back
    assert 2 <= len(_Ports.ports) <= 8  # both shards used, never more than the limit open


def test_plain_http_never_makes_a_tls_context() -> None:
    transport = ShardedTransport(3)
    _Ports.ports = set()

    async def main(url: str) -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            await _fan_out(client, url, 3)

    with http_server(_Ports) as url:
        asyncio.run(main(url))
    assert len(transport.shards) == 1 and transport._tls is None


def test_an_https_request_makes_the_tls_shards_and_a_failure_frees_its_shard() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: the connection is refused
    transport = ShardedTransport(2, shard_size=1)

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"https://127.0.0.1:{port}/")

    asyncio.run(main())
    assert transport._tls is not None and len(transport.shards) == 4
    assert [s.busy for s in transport.shards] == [0, 0, 0, 0]


def test_the_client_follows_redirects_with_the_run_timeout() -> None:
    client = make_client(50)
    assert client.follow_redirects is True
    assert client.timeout == httpx.Timeout(30.0)
    asyncio.run(client.aclose())


class _Recording(LocalExecutor):
    def __init__(self, max_concurrency: int = 16) -> None:
        super().__init__(max_concurrency)
        self.events: list[str] = []

    def prepare_http(self) -> None:
        self.events.append("prepare_http")
        super().prepare_http()

    def submit(self, token: Any, call: NodeCall, completions: Completions) -> None:
        self.events.append(f"submit {call.node_id}")
        super().submit(token, call, completions)


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ('fetch: {type: HTTPRequestNode, config: {url: "URL/a"}}', ["prepare_http", "submit fetch"]),
        ("calc: {type: PythonCodeNode, config: {code: 'result = 1'}}", []),
    ],
)
def test_a_run_with_http_nodes_makes_the_client_before_the_first_request(
    tmp_path: Path, node: str, expected: list[str]
) -> None:
    with http_server(_Ports) as url, _Recording() as executor:
        path = write(tmp_path / "wf.yaml", f"name: wf\nnodes:\n  {node.replace('URL', url)}\n")
        result = run_workflow(path, executor=executor, environ={"HOME": str(tmp_path)})
        made = executor._http is not None
    assert result.status == "succeeded"
    assert executor.events == expected
    assert made is bool(expected)
