"""``kailash serve`` at the door: tokens, identity, masking, secrets, body limits, names,
headers, CORS, the concurrency bound and the drain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kailash_cli.serve.auth import TokenBook
from kailash_cli.serve.gateway import trace_id
from kailash_cli.serve.settings import load_workflows
from tests.helpers import write
from tests.serve_helpers import BLOCK, HELLO, TOKEN, Client, app, project, until

AUTH = {"Authorization": f"Bearer {TOKEN}"}

ACCESS = """\
access_control:
  users:
    analyst_001: {roles: [analyst], attributes: {clearance: confidential}}
    admin_001: {roles: [admin], attributes: {clearance: secret}}
  roles: {admin: {permissions: [execute]}, analyst: {permissions: [read, execute]}}
  masking_rules:
    ssn: {when: "${user.attributes.clearance != 'secret'}", mask: partial, visible_chars: 4}
serve:
  tokens:
    - {env: TOKEN_ANALYST, user: analyst_001}
    - {env: TOKEN_ADMIN, user: admin_001}
"""
PEOPLE = """\
name: people
nodes:
  read: {type: PythonCodeNode, config: {code: "result = {'ssn': '123-45-6789'}"}}
outputs:
  person: "${nodes.read.result}"
"""
GUARDED = """\
name: guarded
nodes:
  a: {type: PythonCodeNode, config: {code: "result = 1"}, permissions: {roles: [admin]}}
"""
ENV = {
    "KAILASH_API_TOKEN": TOKEN,
    "TOKEN_ANALYST": "analyst-token-abcdef",
    "TOKEN_ADMIN": "admin-token-abcdef",
}


@pytest.fixture
def secured(tmp_path: Path):
    root = project(tmp_path, ACCESS, hello=HELLO, people=PEOPLE, guarded=GUARDED)
    with Client(app(root, ENV)) as c:
        yield c


def test_health_needs_no_token(secured: Client) -> None:
    assert secured.get("/health").status_code == 200


@pytest.mark.parametrize(
    "path", ["/ready", "/metrics", "/runs", "/runs/x", "/workflows", "/openapi.json", "/nope"]
)
@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic " + TOKEN, "Bearer ", TOKEN])
def test_every_other_route_needs_a_valid_token(secured: Client, path: str, header: str | None) -> None:
    response = secured.get(path, headers={"Authorization": header} if header is not None else {})

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="kailash"')
    assert response.json()["error"]["message"].startswith("a valid bearer token is needed")
    assert response.headers["x-frame-options"] == "DENY"


def test_a_wrong_token_is_named_invalid(secured: Client) -> None:
    given = secured.get("/runs", headers={"Authorization": "Bearer nope"}).headers["www-authenticate"]
    assert given == 'Bearer realm="kailash", error="invalid_token"'
    assert secured.get("/runs").headers["www-authenticate"] == 'Bearer realm="kailash"'


def test_a_post_without_token_starts_nothing(secured: Client) -> None:
    assert secured.post("/workflows/hello/runs").status_code == 401
    assert secured.get("/runs", headers=AUTH).json() == []


def test_the_token_book_compares_digests_of_every_token() -> None:
    book = TokenBook([("a" * 20, None), ("b" * 20, "ana")])

    assert book.caller("Bearer " + "b" * 20).user == "ana"  # type: ignore[union-attr]
    assert book.caller("bearer " + "a" * 20).user is None  # type: ignore[union-attr]
    assert book.caller("Bearer " + "a" * 19) is None
    assert TokenBook([]).caller(None) is not None  # no token configured: open


def test_a_token_variable_ending_in_a_newline_still_works(tmp_path: Path) -> None:
    root = project(tmp_path, hello=HELLO)
    with Client(app(root, {"KAILASH_API_TOKEN": TOKEN + "\n"})) as c:
        assert c.post("/workflows/hello/runs", headers=AUTH).json()["status"] == "succeeded"


def test_a_token_typed_into_a_bad_body_is_not_written_back(secured: Client) -> None:
    body = {"params": {"zz_analyst-token-abcdef": 1}}
    error = secured.post("/workflows/hello/runs", json=body, headers=AUTH).json()["error"]

    assert error["message"].startswith("unknown param 'zz_***'")
    assert error["field"] == "params.zz_***"


def test_a_mapped_token_runs_as_its_user_and_sees_masked_outputs(secured: Client) -> None:
    analyst = {"Authorization": "Bearer analyst-token-abcdef"}
    doc = secured.post("/workflows/people/runs", headers=analyst).json()

    assert doc["outputs"] == {"person": {"ssn": "*******6789"}}
    admin = secured.post(
        "/workflows/people/runs", headers={"Authorization": "Bearer admin-token-abcdef"}
    ).json()
    assert admin["outputs"] == {"person": {"ssn": "123-45-6789"}}
    assert (
        secured.get(f"/runs/{admin['run_id']}", headers=analyst).json()["outputs"]["person"]["ssn"]
        == "*******6789"
    )
    assert (  # the anonymous token gets the rules of `kailash run` without --user
        secured.get(f"/runs/{admin['run_id']}", headers=AUTH).json()["outputs"]["person"]["ssn"]
        == "*******6789"
    )


def test_an_identity_header_is_never_trusted(secured: Client) -> None:
    headers = {**AUTH, "X-Kailash-User": "admin_001", "X-User": "admin_001", "X-Forwarded-User": "admin_001"}
    response = secured.post("/workflows/guarded/runs", headers=headers)

    assert response.status_code == 403


def test_permissions_refused_are_403_with_the_run_document(secured: Client) -> None:
    response = secured.post(
        "/workflows/guarded/runs", headers={"Authorization": "Bearer analyst-token-abcdef"}
    )

    assert response.status_code == 403
    body = response.json()
    assert body["error"]["message"].startswith("access denied")
    assert body["run"]["status"] == "failed"
    assert secured.get(f"/runs/{body['run']['run_id']}", headers=AUTH).json()["status"] == "failed"
    admin = secured.post("/workflows/guarded/runs", headers={"Authorization": "Bearer admin-token-abcdef"})
    assert admin.json()["status"] == "succeeded"
    anonymous = secured.post("/workflows/guarded/runs", headers=AUTH).json()["error"]["message"]
    assert anonymous == (
        "access denied: node 'a' has permissions; call with a token that serve.tokens maps to a user"
    )


def test_secrets_never_reach_a_response(tmp_path: Path) -> None:
    leaky = """\
    name: leaky
    secrets: {key: {env: API_KEY}}
    nodes:
      a: {type: PythonCodeNode, config: {code: "result = 'key=' + k", k: "${secrets.key}"}}
      b: {type: PythonCodeNode, config: {code: "raise ValueError('bad ' + k)", k: "${secrets.key}"}}
    """
    import textwrap

    root = project(tmp_path, leaky=textwrap.dedent(leaky))
    with Client(app(root, {"API_KEY": "sk-live-abcdef123456"})) as c:
        doc = c.post("/workflows/leaky/runs").text
        shown = c.get(f"/runs/{json.loads(doc)['run_id']}").text

    for text in (doc, shown):
        assert "sk-live-abcdef123456" not in text
        assert "key=***" in text and "bad ***" in text


def test_runs_do_not_see_the_token_variables(tmp_path: Path) -> None:
    node = '{type: PythonCodeNode, config: {code: "result = 1"}}'
    peek = f"name: peek\nenv: [KAILASH_API_TOKEN]\nnodes:\n  a: {node}\n"
    root = project(tmp_path, peek=peek)
    with Client(app(root, {"KAILASH_API_TOKEN": TOKEN})) as c:
        response = c.post("/workflows/peek/runs", headers=AUTH)

    assert response.status_code == 500  # the server's configuration, not the request
    assert "cannot run on this server" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "message", "field"),
    [
        (b"{", "the body is not valid JSON: Expecting property name enclosed in double quotes", None),
        (b"[1]", 'the body must be a JSON object like {"params": {...}}, not an array', None),
        (b'{"parms": {}}', "unknown field 'parms' (did you mean 'params'?)", "parms"),
        (b'{"params": [1]}', "params must be a JSON object of param names to values, not an array", "params"),
        (
            b'{"params": {"whom": "x"}}',
            "unknown param 'whom' (did you mean 'who'?); known params",
            "params.whom",
        ),
        (b'{"params": {"times": "many"}}', "param 'times': ", "params.times"),
        (b'{"params": {"times": 0}}', "param 'times': ", "params.times"),
        (b'{"params": {"times": NaN}}', "the body is not valid JSON: NaN is not a JSON number", None),
        (b'{"params": {"who": "\\ud800"}}', "a string holds a lone surrogate", "params.who"),
        (b'{"params": {"who": ["a", "x\\udfff"]}}', "a string holds a lone surrogate", "params.who[1]"),
        (b'{"params": {"\\ud800": 1}}', "a string holds a lone surrogate", "params"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    tmp_path: Path, body: bytes, message: str, field: str | None
) -> None:
    with Client(app(project(tmp_path, hello=HELLO))) as c:
        response = c.post("/workflows/hello/runs", content=body)
        assert c.get("/runs").json() == []

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].startswith(message)
    assert error.get("field") == field


def test_a_missing_required_param_is_named(tmp_path: Path) -> None:
    with Client(app(project(tmp_path, block=BLOCK))) as c:
        error = c.post("/workflows/block/runs", json={"params": {"x": 1}}).json()["error"]

    assert error["field"] == "params.x"
    assert [p["field"] for p in error["problems"]] == ["params.x", "params.flag"]
    assert (
        error["problems"][1]["message"] == "missing required param 'flag' (file whose creation ends the run)"
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/workflows/nope/runs", 404),
        ("/workflows/%2e%2e/runs", 400),
        ("/workflows/..%2f..%2fetc/runs", 400),
        ("/workflows/Hello/runs", 400),
        ("/workflows/hello.yaml/runs", 400),
        ("/workflows/%2Ftmp%2Fx/runs", 400),
    ],
)
def test_unknown_names_and_path_tricks_are_refused(tmp_path: Path, path: str, status: int) -> None:
    with Client(app(project(tmp_path, hello=HELLO))) as c:
        response = c.post(path)
        assert c.get("/runs").json() == []

    assert response.status_code in (status, 404)
    assert response.json()["error"]["message"]


def test_a_declared_length_over_max_body_is_413_before_reading(tmp_path: Path) -> None:
    root = project(tmp_path, "serve: {max_body: 100B}\n", hello=HELLO)
    with Client(app(root)) as c:
        big = c.post("/workflows/hello/runs", content=b"x" * 101)
        fits = c.post("/workflows/hello/runs", json={"params": {"who": "a" * 50}})

    assert big.status_code == 413
    assert "at most 100 are accepted (serve.max_body)" in big.json()["error"]["message"]
    assert fits.status_code == 200


def test_a_streamed_body_over_max_body_is_413(tmp_path: Path) -> None:
    async def chunks():
        for _ in range(10):
            yield b"x" * 50

    root = project(tmp_path, "serve: {max_body: 100B}\n", hello=HELLO)
    with Client(app(root)) as c:
        response = c.post("/workflows/hello/runs", content=chunks())

    assert response.status_code == 413
    assert response.json()["error"]["message"] == "the body is over 100 bytes (serve.max_body)"


def test_security_headers_on_every_response(tmp_path: Path) -> None:
    with Client(app(project(tmp_path, hello=HELLO))) as c:
        responses = [c.get("/health"), c.get("/nope"), c.post("/workflows/hello/runs", content=b"{")]

    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers


def test_hsts_only_when_a_trusted_proxy_says_https(tmp_path: Path) -> None:
    root = project(tmp_path, "serve: {trusted_proxies: [10.0.0.0/8]}\n", hello=HELLO)
    https = {"X-Forwarded-Proto": "https"}
    with Client(app(root), client=("10.1.2.3", 4000)) as proxied:
        assert "max-age" in proxied.get("/health", headers=https).headers["strict-transport-security"]
        assert "strict-transport-security" not in proxied.get("/health").headers
    with Client(app(root), client=("192.168.0.9", 4000)) as direct:
        assert "strict-transport-security" not in direct.get("/health", headers=https).headers


def test_cors_from_the_configured_origins(tmp_path: Path) -> None:
    root = project(tmp_path, "serve: {cors_origins: ['https://ui.example.com']}\n", hello=HELLO)
    with Client(app(root, {"KAILASH_API_TOKEN": TOKEN})) as c:
        allowed = c.get("/runs", headers={**AUTH, "Origin": "https://ui.example.com"})
        other = c.get("/runs", headers={**AUTH, "Origin": "https://evil.example.com"})
        preflight = c.request(
            "OPTIONS",
            "/workflows/hello/runs",
            headers={"Origin": "https://ui.example.com", "Access-Control-Request-Method": "POST"},
        )

    assert allowed.headers["access-control-allow-origin"] == "https://ui.example.com"
    assert "access-control-allow-origin" not in other.headers
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://ui.example.com"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
        ({"x-request-id": "abc-123"}, "abc-123"),
        ({"traceparent": "00-" + "0" * 32 + "-00f067aa0ba902b7-01", "x-request-id": "r1"}, "r1"),
    ],
)
def test_trace_id_from_the_request(headers: dict[str, str], expected: str) -> None:
    assert trace_id(headers) == expected


@pytest.mark.parametrize("given", ["", "a b", "x" * 129, "<script>"])
def test_a_malformed_request_id_is_replaced(given: str) -> None:
    made = trace_id({"x-request-id": given})
    assert made != given and len(made) == 32


def test_the_request_id_comes_back(tmp_path: Path) -> None:
    with Client(app(project(tmp_path, hello=HELLO))) as c:
        assert c.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"


def test_runs_beyond_max_concurrency_are_503_with_retry_after(tmp_path: Path) -> None:
    root = project(tmp_path, "serve: {max_concurrency: 1}\n", block=BLOCK, hello=HELLO)
    flag = tmp_path / "go"
    with Client(app(root)) as c:
        first = c.post("/workflows/block/runs?wait=false", json={"params": {"flag": str(flag)}})
        refused = c.post("/workflows/hello/runs")
        flag.touch()
        until(lambda: c.get(f"/runs/{first.json()['run_id']}").json()["status"] == "succeeded")
        # the run is recorded a moment before its thread gives the slot back
        until(lambda: "kailash_serve_runs_in_progress 0.0" in c.get("/metrics").text)
        later = c.post("/workflows/hello/runs")
        metrics = c.get("/metrics").text

    assert first.status_code == 202
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert refused.json()["error"]["message"].startswith("1 runs are going on (serve.max_concurrency)")
    assert later.status_code == 200
    assert 'kailash_serve_runs_refused_total{reason="full"} 1.0' in metrics


def test_concurrent_posts_run_at_once(tmp_path: Path) -> None:
    with Client(app(project(tmp_path, hello=HELLO))) as c:
        calls = [("POST", "/workflows/hello/runs", {"json": {"params": {"who": f"n{i}"}}}) for i in range(8)]
        responses = c.gather(*calls)

    docs = [r.json() for r in responses]
    assert [d["outputs"]["greeting"] for d in docs] == [f"Hello, n{i}!" for i in range(8)]
    assert len({d["run_id"] for d in docs}) == 8


def test_stopping_interrupts_runs_past_the_grace_period(tmp_path: Path) -> None:
    root = project(tmp_path, "serve: {grace_period: 0.05}\n", block=BLOCK, hello=HELLO)
    asgi = app(root)
    c = Client(asgi)
    run_id = c.post(
        "/workflows/block/runs?wait=false", json={"params": {"flag": str(tmp_path / "never")}}
    ).json()["run_id"]

    assert asgi.state.server.stop() is True
    assert c.get(f"/runs/{run_id}").json()["status"] == "interrupted"
    refused = c.post("/workflows/hello/runs")
    assert refused.status_code == 503
    assert refused.json()["error"]["message"] == "the server is stopping; send the run to another instance"
    assert c.get("/ready").status_code == 503


def test_a_waiting_request_hears_its_run_was_interrupted(tmp_path: Path) -> None:
    import threading

    root = project(tmp_path, "serve: {grace_period: 0.05}\n", block=BLOCK)
    asgi = app(root)
    c = Client(asgi)
    stopper = threading.Thread(
        target=lambda: until(lambda: asgi.state.server.pool.in_progress()) and asgi.state.server.stop()
    )
    stopper.start()
    response = c.post("/workflows/block/runs", json={"params": {"flag": str(tmp_path / "never")}})
    stopper.join()

    assert response.status_code == 503
    body = response.json()
    assert body["error"]["message"].endswith(
        "was interrupted: the server is stopping; it is recorded interrupted"
    )
    assert body["run"]["status"] == "interrupted"


def test_an_invalid_workflow_refuses_the_start(tmp_path: Path) -> None:
    write(tmp_path / "ok.yaml", HELLO)
    write(tmp_path / "bad.yaml", "name: bad\nnodes:\n  a: {type: NoSuchNode}\n")

    from kailash_cli.errors import WorkflowValidationError

    with pytest.raises(WorkflowValidationError) as caught:
        load_workflows(tmp_path)
    assert [p.id for p in caught.value.problems] == ["KV202"]


def test_a_body_that_does_not_come_is_408() -> None:
    import asyncio

    from kailash_cli.serve.body import BadRequest, read_body

    async def stalled():
        yield b"{"
        await asyncio.Event().wait()  # never set: the rest never comes

    with pytest.raises(BadRequest) as caught:
        asyncio.run(read_body(stalled(), 100, timeout=0.01))
    assert (caught.value.status, str(caught.value)) == (408, "the body did not arrive within 0.01 s")


LEAKY = """\
name: leaky
nodes:
  read: {type: PythonCodeNode, config: {code: "result = {'ssn': '123-45-6789'}"}}
  talk:
    type: PythonCodeNode
    config:
      code: |
        print("got", row)
        raise ValueError("bad ssn " + row["ssn"])
connections:
  - read.result -> talk.row
"""


@pytest.mark.parametrize(("token", "shown"), [("analyst", "*******6789"), ("admin", "123-45-6789")])
def test_serves_logs_and_run_documents_mask_what_node_code_prints_or_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str, shown: str
) -> None:
    import io
    import logging

    from kailash_cli.report.output import Output
    from kailash_cli.serve.logs import node_output

    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as in the server process
    err = io.StringIO()
    served = app(project(tmp_path, ACCESS, leaky=LEAKY), ENV, output=Output(stderr=err, log_format="json"))
    with node_output(served.state.server.log), Client(served) as c:
        caller = {"Authorization": f"Bearer {token}-token-abcdef"}
        doc = c.post("/workflows/leaky/runs", headers=caller).json()
        stored = c.get(f"/runs/{doc['run_id']}", headers=caller).json()
        analyst = {"Authorization": "Bearer analyst-token-abcdef"}  # another caller's run, from the store
        seen_by_analyst = c.get(f"/runs/{doc['run_id']}", headers=analyst).json()
    error = f"ValueError: bad ssn {shown}"
    assert doc["nodes"]["talk"]["error"] == stored["nodes"]["talk"]["error"] == error
    events = [json.loads(line) for line in err.getvalue().splitlines()]
    assert [e["line"] for e in events if e["event"] == "node_output"] == [f"got {{'ssn': '{shown}'}}"]
    assert seen_by_analyst["nodes"]["talk"]["error"] == "ValueError: bad ssn *******6789"
