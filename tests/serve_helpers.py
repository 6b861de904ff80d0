"""Helpers of the ``kailash serve`` tests: a project on disk, an app over it, a blocking workflow."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kailash_cli.load.config import load_config
from kailash_cli.report.output import Output
from kailash_cli.serve.settings import Settings, load_settings
from tests.helpers import write

HELLO = """\
name: hello
params:
  who: {type: string, default: world}
  times: {type: integer, minimum: 1, default: 1}
nodes:
  greet:
    type: PythonCodeNode
    config:
      code: |
        result = {"greeting": f"Hello, {who}!" * times}
      who: "${params.who}"
      times: "${params.times}"
outputs:
  greeting: "${nodes.greet.greeting}"
"""

FAILING = """\
name: failing
nodes:
  boom: {type: PythonCodeNode, config: {code: "raise ValueError('no luck')"}}
"""

#: waits (60 s at most) for the file named by its flag param, so a test decides when it ends
BLOCK = """\
name: block
params:
  flag: {type: string, required: true, description: file whose creation ends the run}
nodes:
  wait:
    type: PythonCodeNode
    config:
      flag: "${params.flag}"
      code: |
        import os, time
        deadline = time.monotonic() + 60
        while not os.path.exists(flag) and time.monotonic() < deadline:
            time.sleep(0.01)
        result = os.path.exists(flag)
outputs:
  done: "${nodes.wait.result}"
"""

TOKEN = "s3cret-token-0123456789"


def project(tmp_path: Path, config: str = "", **workflows: str) -> Path:
    """``tmp_path/kailash.yaml`` (store inside tmp_path) and ``tmp_path/workflows/<name>.yaml``."""
    write(tmp_path / "kailash.yaml", "runtime: {store: .kailash/kailash.db, shutdown_grace: 0.2}\n" + config)
    for name, text in (workflows or {"hello": HELLO, "failing": FAILING, "block": BLOCK}).items():
        write(tmp_path / "workflows" / f"{name}.yaml", text)
    return tmp_path


def settings(root: Path, environ: Mapping[str, str] | None = None) -> Settings:
    loaded, _ = load_settings(load_config(root / "kailash.yaml"), root / "workflows", dict(environ or {}))
    return loaded


def app(
    root: Path, environ: Mapping[str, str] | None = None, ready: Any = None, output: Output | None = None
):
    from kailash_cli.serve.app import create_app

    return create_app(settings(root, environ), output or Output(), ready=ready)


def until(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll ``condition`` until it is truthy; the timeout is only an upper bound."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def free_port() -> int:
    """A port nothing listens on (just now)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """A synchronous client of an app, in-process through httpx's ASGI transport (one event
    loop a call; ``gather`` sends several requests at once). Leaving the block drains the
    server's runs, as its lifespan would."""

    def __init__(self, asgi: Any, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        import httpx

        self.app = asgi
        self.transport = httpx.ASGITransport(app=asgi, client=client)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.app.state.server.stop()

    async def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        import httpx

        async with httpx.AsyncClient(transport=self.transport, base_url="http://testserver") as c:
            return await c.request(method, url, **kwargs)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        import asyncio

        return asyncio.run(self._send(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def gather(self, *calls: tuple[str, str, dict[str, Any]]) -> list[Any]:
        import asyncio

        async def all_at_once() -> list[Any]:
            return list(await asyncio.gather(*(self._send(m, u, **kw) for m, u, kw in calls)))

        return asyncio.run(all_at_once())
