"""The ASGI middleware every request goes through: a trace id, security headers, the body
size limit, the access log and request metrics (``Gateway``), and the bearer token (``Auth``)."""

from __future__ import annotations

import ipaddress
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from kailash_cli.serve.auth import TokenBook
from kailash_cli.serve.logs import ServeLog
from kailash_cli.serve.settings import Network

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
OnRequest = Callable[[str, str, int, float], None]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def trace_id(headers: dict[str, str]) -> str:
    """The trace id of ``traceparent`` (W3C), else a well-formed ``X-Request-ID``, else a new one."""
    match = _TRACEPARENT.match(headers.get("traceparent", "").strip())
    if match and match[1] != "0" * 32:
        return match[1]
    given = headers.get("x-request-id", "").strip()
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


async def send_error(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    body = json.dumps({"error": {"message": message}}).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*start, *headers]})
    await send({"type": "http.response.body", "body": body})


class Gateway:
    """Outermost: every response gets the security headers and ``X-Request-ID``; every
    request one access-log line; an error no route handled is a JSON 500, never a traceback."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: ServeLog,
        max_body: int,
        trusted_proxies: tuple[Network, ...] = (),
        on_request: OnRequest | None = None,
        redact: Callable[[str], str] = str,
    ) -> None:
        self.app, self.log, self.max_body = app, log, max_body
        self.redact = redact  # a request id that is a token is not taken (nor sent back)
        self.trusted_proxies = trusted_proxies
        self.on_request = on_request

    def _https(self, scope: Scope, headers: dict[str, str]) -> bool:
        if scope.get("scheme") == "https":
            return True
        client = (scope.get("client") or ("",))[0]
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        trusted = any(address in network for network in self.trusted_proxies)
        return trusted and headers.get("x-forwarded-proto", "").split(",")[0].strip().lower() == "https"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, headers = time.perf_counter(), _headers(scope)
        trace = trace_id(headers)
        if self.redact(trace) != trace:
            trace = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["trace_id"] = trace
        extra = [(b"x-request-id", trace.encode()), *SECURITY_HEADERS]
        if self._https(scope, headers):
            extra.append(HSTS)
        status = [0]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                names = {name for name, _ in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = [*kept, *extra]
            await send(message)

        try:
            too_big = self._too_big(headers)
            if too_big:
                await send_error(send_with_headers, too_big[0], too_big[1])
            else:
                await self.app(scope, receive, send_with_headers)
        except Exception as e:
            self.log.error("request failed", e, trace_id=trace)
            if not status[0]:
                await send_error(
                    send_with_headers, 500, f"internal error; the server log has trace id {trace}"
                )
        finally:
            self._done(scope, state, status[0] or 500, started, trace)

    def _too_big(self, headers: dict[str, str]) -> tuple[int, str] | None:
        length = headers.get("content-length")
        if length is None:
            return None
        if not length.strip().isdigit():
            return 400, "Content-Length is not a number"
        if int(length) > self.max_body:
            return (
                413,
                f"the body is {int(length)} bytes; at most {self.max_body} are accepted (serve.max_body)",
            )
        return None

    def _done(self, scope: Scope, state: dict[str, Any], status: int, started: float, trace: str) -> None:
        seconds = time.perf_counter() - started
        matched = scope.get("route")  # its path as written: /workflows/{name}/runs
        route = getattr(matched, "path_format", None) or getattr(matched, "path", None) or "unmatched"
        if self.on_request is not None:
            self.on_request(scope["method"], route, status, seconds)
        caller = state.get("caller")
        self.log.access(
            client=(scope.get("client") or ("-",))[0],
            method=scope["method"],
            path=scope["path"],
            status=status,
            duration_ms=round(seconds * 1000, 3),
            trace_id=trace,
            user=getattr(caller, "user", None),
        )


class Auth:
    """Every route but ``/health`` needs a token the book knows: else 401 with
    ``WWW-Authenticate: Bearer``. The caller goes into the request's state."""

    OPEN = frozenset({"/health"})

    def __init__(self, app: ASGIApp, *, tokens: TokenBook) -> None:
        self.app, self.tokens = app, tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.OPEN:
            await self.app(scope, receive, send)
            return
        given = _headers(scope).get("authorization")
        caller = self.tokens.caller(given)
        if caller is None:
            challenge = b'Bearer realm="kailash"' + (b', error="invalid_token"' if given else b"")
            message = "a valid bearer token is needed: Authorization: Bearer <token>"
            await send_error(send, 401, message, [(b"www-authenticate", challenge)])
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)
