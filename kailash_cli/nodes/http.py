"""HTTPRequestNode: one request through the run's shared ``httpx.AsyncClient`` (no thread per request)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kailash_cli.nodes.base import NodeContext, NodeType, Outputs

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 30.0


class HTTPStatusError(Exception):
    """The response status is not one the node expects."""


class HTTPRequestNode(NodeType):
    name = "HTTPRequestNode"
    summary = "Send an HTTP request (httpx, 30 s timeout by default); a JSON body is decoded."
    declared_outputs = ("response", "status_code", "headers")
    example = """\
fetch:
  type: HTTPRequestNode
  config:
    url: "https://api.example.com/customers"
    method: GET
    headers: {Accept: application/json}
    params: {page: 1}
    expected_status: [200]
"""

    async def arun(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        response = await send(
            ctx,
            str(params.get("method", "GET")).upper(),
            params["url"],
            params.get("timeout", DEFAULT_TIMEOUT),
            headers=params.get("headers"),
            params=params.get("params"),
            json=params.get("json"),
            content=params.get("body"),
        )
        _check_status(response, params.get("expected_status"), str(params["url"]))
        return {
            "response": _decode(response),
            "status_code": response.status_code,
            "headers": dict(response.headers),
        }


async def send(
    ctx: NodeContext, method: str, url: str, timeout: float, *, shown: str | None = None, **kwargs: Any
) -> httpx.Response:
    """One request through the run's shared client; transport errors as TimeoutError or
    ConnectionError (which ``retry_on`` can name), the URL written as ``shown`` when given."""
    import httpx  # here, not at the top: validating a workflow must not pay for it

    assert ctx.http is not None, "the engine provides an HTTP client"
    where = f"{method} {shown or url}"
    try:
        return await ctx.http().request(method, url, timeout=timeout, **kwargs)
    except httpx.InvalidURL:  # its message quotes a piece of the URL (of a password with a '/')
        raise ValueError(
            f"{method}: the url is not a valid URL; check its scheme, host and port "
            "(in a password, '/', '?', '#' and '@' must be percent-encoded)"
        ) from None
    except httpx.TimeoutException as e:
        raise TimeoutError(f"{where} timed out ({type(e).__name__})") from e
    except httpx.TransportError as e:
        detail = str(e) if shown is None else type(e).__name__
        raise ConnectionError(f"{where} failed: {detail or type(e).__name__}") from e


def _check_status(response: httpx.Response, expected: int | list[int] | None, url: str) -> None:
    """``url`` is the node's, as given (not httpx's re-encoded form of it: a secret in it is
    then redacted as written)."""
    code = response.status_code
    if expected is None:
        ok = 200 <= code < 300
        wanted = "2xx"
    else:
        allowed = [expected] if isinstance(expected, int) else list(expected)
        ok = code in allowed
        wanted = ", ".join(map(str, allowed))
    if not ok:
        snippet = response.text[:200].replace("\n", " ") if response.content else ""
        raise HTTPStatusError(
            f"{response.request.method} {url} returned "
            f"{code}, expected {wanted}" + (f": {snippet}" if snippet else "")
        )


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    if "json" in response.headers.get("content-type", ""):
        from kailash_cli.nodes.json_io import NonFiniteError, strict_loads

        try:
            return strict_loads(response.content)
        except NonFiniteError as e:
            raise ValueError(f"the response body: {e}") from None
        except ValueError:
            pass  # not JSON after all: the text
    return response.text


NODE_TYPE = HTTPRequestNode()
