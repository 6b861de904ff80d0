"""``kailash serve [DIR]``: the workflows of DIR over HTTP (needs the ``serve`` extra)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path

from kailash_cli.errors import UsageError
from kailash_cli.load.config import load_config
from kailash_cli.report.output import Output

EXTRA = "pip install 'kailash-cli[serve]'"


def require_extra() -> None:
    """FastAPI, uvicorn and prometheus_client are there, or one line says how to get them."""
    try:
        import fastapi  # noqa: F401
        import prometheus_client  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise UsageError(
            f"kailash serve needs {e.name or 'its extra'}, which is not installed; {EXTRA}"
        ) from None


def serve(
    directory: Path | None,
    *,
    output: Output,
    host: str = "127.0.0.1",
    port: int = 8000,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    require_extra()
    from kailash_cli.serve.app import create_app
    from kailash_cli.serve.server import bind, run
    from kailash_cli.serve.settings import load_settings, withdraw_tokens

    config = load_config(config_path)
    settings, warnings = load_settings(config, directory, os.environ if environ is None else environ)
    if environ is None:
        withdraw_tokens(config, os.environ)  # runs and their child processes never see them
    for warning in warnings:
        output.finding(warning)
    from kailash_cli.load.config import unused_config_beside

    beside = (unused_config_beside(wf.path, config) for wf in settings.workflows.values() if wf.path)
    for unused in dict.fromkeys(filter(None, beside)):  # a folder's config its workflows do not get
        output.err(unused)
    sock = bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    address = f"{shown}:{sock.getsockname()[1]}"  # the port the system chose for --port 0
    if not settings.tokens.required and not _loopback(host):
        output.err(
            f"warning: KAILASH_API_TOKEN is not set: anyone who reaches {address} can run the workflows"
        )
    url = f"http://{address}"
    app = create_app(settings, output)
    return run(app, app.state.server, sock, url)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
