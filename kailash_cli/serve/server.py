"""uvicorn, on a socket bound beforehand (a clear error when the address is taken, and the
real port when 0 was asked), with its logs through ``ServeLog`` and SIGTERM as a clean stop:
no new connection or run, running runs drained, exit 0."""

from __future__ import annotations

import contextlib
import errno
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType

import uvicorn

from kailash_cli.constants import EXIT_INTERRUPTED, EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.serve.logs import node_output, uvicorn_logs
from kailash_cli.serve.state import STOP_WAIT, Server


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; UsageError when that cannot be had."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, IndexError) as e:
        raise UsageError(
            f"--host {host}: not an address to listen on ({e}); use e.g. 127.0.0.1 or 0.0.0.0"
        ) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as e:
        sock.close()
        fix = (
            "use an address of this machine as --host"
            if e.errno == errno.EADDRNOTAVAIL
            else "choose another --port"
        )
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}; {fix}") from None
    sock.set_inheritable(True)
    return sock


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, telling ``on_stop`` at the first SIGTERM/SIGINT, and not raising the
    signal again once stopped (uvicorn does, which would end the process with 143)."""

    def __init__(self, config: uvicorn.Config, on_stop: Callable[[int], None]) -> None:
        super().__init__(config)
        self.on_stop = on_stop
        self.stopped_by: int | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.stopped_by is None:
            self.stopped_by = sig
            self.on_stop(sig)
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def uvicorn_config(app: object, server: Server) -> uvicorn.Config:
    """uvicorn's settings. Its proxy headers are off: uvicorn would otherwise believe
    ``X-Forwarded-Proto``/``-For`` from 127.0.0.1 (or ``FORWARDED_ALLOW_IPS``) and rewrite the
    scheme and client before the gateway looks; ``serve.trusted_proxies`` alone decides."""
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_config=None,
        access_log=False,  # Gateway writes the access log, with the trace id
        timeout_graceful_shutdown=int(server.settings.grace_period + STOP_WAIT),
        server_header=False,
        ws="none",
        lifespan="on",
        proxy_headers=False,
        forwarded_allow_ips=[],
    )


def run(app: object, server: Server, sock: socket.socket, url: str) -> int:
    """Serve until SIGTERM (exit 0) or SIGINT (exit 130), draining the runs first."""
    log, settings = server.log, server.settings

    def on_stop(sig: int) -> None:
        going = server.pool.in_progress()
        log.event(
            "serve_stopping",
            message=f"stopping ({signal.Signals(sig).name}): {going} run(s) going on get "
            f"{settings.grace_period:g}s to finish",
            runs=going,
        )
        threading.Thread(target=server.stop, name="kailash-serve-drain", daemon=True).start()

    uv = _Uvicorn(uvicorn_config(app, server), on_stop)
    with uv.capture_signals():  # from the first line on: a SIGTERM before uvicorn is up stops it cleanly
        log.event(
            "serve_started",
            message=f"serving {len(settings.workflows)} workflow(s) from {settings.folder} on {url}",
            url=url,
            workflows=sorted(settings.workflows),
        )
        with uvicorn_logs(log), node_output(log):
            uv.run(sockets=[sock])
    log.event("serve_stopped", message="stopped", runs_left=server.pool.in_progress())
    return EXIT_INTERRUPTED if uv.stopped_by == signal.SIGINT else EXIT_OK
