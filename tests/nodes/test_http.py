"""HTTPRequestNode through httpx.MockTransport (the NodeContext.http factory); nothing leaves the machine."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import make_ctx, run_node

from kailash_cli.nodes.http import HTTPStatusError

URL = "http://api.test/users"


def call(tmp_path: Path, params: dict[str, Any], handler: Any) -> dict[str, Any]:
    ctx = make_ctx(tmp_path, transport=httpx.MockTransport(handler))
    return run_node("HTTPRequestNode", params, ctx)


def test_get_json_is_decoded(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": 1}], headers={"X-Page": "1"})

    out = call(tmp_path, {"url": URL}, handler)
    assert out == {
        "response": [{"id": 1}],
        "status_code": 200,
        "headers": {"x-page": "1", "content-length": "10", "content-type": "application/json"},
    }


def test_text_body_stays_text(tmp_path: Path) -> None:
    out = call(tmp_path, {"url": URL}, lambda r: httpx.Response(200, text="plain words"))
    assert (out["response"], out["status_code"]) == ("plain words", 200)


def test_json_content_type_that_does_not_parse_is_text(tmp_path: Path) -> None:
    handler = lambda r: httpx.Response(200, content=b"{nope", headers={"content-type": "application/json"})  # noqa: E731
    assert call(tmp_path, {"url": URL}, handler)["response"] == "{nope"


def test_empty_body_is_none(tmp_path: Path) -> None:
    out = call(tmp_path, {"url": URL, "method": "delete"}, lambda r: httpx.Response(204))
    assert (out["response"], out["status_code"]) == (None, 204)


def test_post_json_headers_params_and_timeout_are_sent(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"created": True})

    out = call(
        tmp_path,
        {
            "url": URL,
            "method": "POST",
            "json": {"name": "Ada"},
            "headers": {"Authorization": "Bearer t0k"},
            "params": {"page": 2, "q": "a b"},
            "timeout": 5,
        },
        handler,
    )
    assert (out["response"], out["status_code"]) == ({"created": True}, 201)
    request = seen[0]
    assert request.method == "POST"
    assert str(request.url) == "http://api.test/users?page=2&q=a+b"
    assert request.headers["authorization"] == "Bearer t0k"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"name": "Ada"}
    assert request.extensions["timeout"] == {"connect": 5, "read": 5, "write": 5, "pool": 5}


def test_raw_body_is_sent(tmp_path: Path) -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(200)

    call(tmp_path, {"url": URL, "method": "PUT", "body": "a=1&b=2"}, handler)
    assert seen == [b"a=1&b=2"]


@pytest.mark.parametrize(("expected", "status"), [(404, 404), ([200, 202], 202), (None, 299)])
def test_expected_status_accepts(tmp_path: Path, expected: Any, status: int) -> None:
    params = {"url": URL} if expected is None else {"url": URL, "expected_status": expected}
    assert call(tmp_path, params, lambda r: httpx.Response(status))["status_code"] == status


@pytest.mark.parametrize(
    ("expected", "status", "message"),
    [
        (None, 500, "GET http://api.test/users returned 500, expected 2xx: server\nfell over"),
        (200, 201, "GET http://api.test/users returned 201, expected 200: server\nfell over"),
        ([200, 204], 404, "GET http://api.test/users returned 404, expected 200, 204: server\nfell over"),
    ],
)
def test_unexpected_status_fails_with_the_body(
    tmp_path: Path, expected: Any, status: int, message: str
) -> None:
    params = {"url": URL} if expected is None else {"url": URL, "expected_status": expected}
    with pytest.raises(HTTPStatusError) as info:
        call(tmp_path, params, lambda r: httpx.Response(status, text="server\nfell over"))
    assert str(info.value) == message.replace("\n", " ")


def test_unexpected_status_without_body(tmp_path: Path) -> None:
    with pytest.raises(HTTPStatusError) as info:
        call(tmp_path, {"url": URL}, lambda r: httpx.Response(503))
    assert str(info.value) == "GET http://api.test/users returned 503, expected 2xx"


def test_long_error_body_is_shortened(tmp_path: Path) -> None:
    with pytest.raises(HTTPStatusError) as info:
        call(tmp_path, {"url": URL}, lambda r: httpx.Response(500, text="x" * 1000))
    assert str(info.value) == "GET http://api.test/users returned 500, expected 2xx: " + "x" * 200


def test_timeout_becomes_timeout_error(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(TimeoutError) as info:
        call(tmp_path, {"url": URL, "timeout": 0.5}, handler)
    assert str(info.value) == "GET http://api.test/users timed out (ReadTimeout)"


def test_connection_failure_becomes_connection_error(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(ConnectionError) as info:
        call(tmp_path, {"url": URL}, handler)
    assert str(info.value) == "GET http://api.test/users failed: [Errno 111] Connection refused"


def test_real_refused_connection_on_localhost(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nobody listens
    url = f"http://127.0.0.1:{port}/x"
    ctx = make_ctx(tmp_path)
    with pytest.raises(ConnectionError) as info:
        run_node("HTTPRequestNode", {"url": url, "timeout": 5}, ctx)
    assert str(info.value) == f"GET {url} failed: All connection attempts failed"


def test_runs_on_the_event_loop() -> None:
    from kailash_cli.nodes.http import NODE_TYPE

    assert NODE_TYPE.is_async(None) is True
    assert NODE_TYPE.outputs({}) == ("response", "status_code", "headers")


def test_a_status_error_names_the_url_as_given_not_re_encoded(tmp_path: Path) -> None:
    """A secret in the URL is then written as the run knows it, and redacted (review)."""
    given = 'http://api.test/p/sk+Ab/cd=ef"gh 12&x/q?key=tok en+1#frag'
    with pytest.raises(HTTPStatusError) as info:
        call(tmp_path, {"url": given}, lambda r: httpx.Response(404))
    assert str(info.value) == f"GET {given} returned 404, expected 2xx"


@pytest.mark.parametrize(
    "url", ["http://user:Secr3tPart/rest@127.0.0.1:1/x", "http://bob:Pa/ss%20word@host/"]
)
def test_an_invalid_url_quotes_no_piece_of_it(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError) as info:
        call(tmp_path, {"url": url}, lambda r: httpx.Response(200))
    assert str(info.value) == (
        "GET: the url is not a valid URL; check its scheme, host and port "
        "(in a password, '/', '?', '#' and '@' must be percent-encoded)"
    )


def test_a_json_body_with_nan_fails_the_node(tmp_path: Path) -> None:
    body = b'{"v": NaN}'
    handler = lambda r: httpx.Response(200, content=body, headers={"content-type": "application/json"})  # noqa: E731
    with pytest.raises(ValueError) as info:
        call(tmp_path, {"url": URL}, handler)
    assert str(info.value) == (
        "the response body: NaN is not a JSON number; the data must hold finite numbers (or null)"
    )
