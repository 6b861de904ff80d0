"""Checks over the network: ``http`` (a status from a list) and ``tcp`` (a port accepts)."""

from __future__ import annotations

import socket
from typing import Any

from kailash_cli.health.spec import CheckFailed, Target


def http(target: Target) -> str:
    import httpx

    options = target.options
    method = str(options.get("method", "GET")).upper()
    expected: list[int] | None = options.get("expected_status")
    try:
        with httpx.Client(timeout=target.timeout, follow_redirects=False) as client:
            response = client.request(method, options["url"], headers=_headers(options.get("headers")))
    except httpx.TimeoutException:
        raise CheckFailed(f"no answer within {target.timeout:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL) as e:
        raise CheckFailed(f"{method} failed: {e or type(e).__name__}") from None
    status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    if expected is None:
        if response.status_code >= 400:
            raise CheckFailed(f"{status}, expected a status below 400")
    elif response.status_code not in expected:
        raise CheckFailed(f"{status}, expected {' or '.join(map(str, expected))}")
    return status


def _headers(headers: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {}


def port_of(value: object) -> int:
    """A port number from the config or, through ``${NAME}``, the environment."""
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise CheckFailed(f"port: {text!r} is not a port number (1-65535)")
    return int(text)


def open_socket(host: str, port: int, timeout: float) -> socket.socket:
    """A connected socket; CheckFailed saying why not."""
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise CheckFailed(f"no connection to {host}:{port} within {timeout:g} s") from None
    except ConnectionRefusedError:
        raise CheckFailed(f"connection to {host}:{port} refused") from None
    except socket.gaierror:
        raise CheckFailed(f"cannot resolve host '{host}'") from None
    except OSError as e:
        raise CheckFailed(f"cannot connect to {host}:{port}: {e.strerror or e}") from None


def tcp(target: Target) -> str:
    host, port = str(target.options["host"]), port_of(target.options["port"])
    open_socket(host, port, target.timeout).close()
    return f"{host}:{port} accepts connections"
