"""``kailash serve`` after review: tokens out of the runs' reach, masking for every reader,
proxies, metrics that only go up, status codes, structured node output, a broken store,
the text access log, and the history pushed into SQL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kailash_cli.load.config import Config
from kailash_cli.serve.settings import withdraw_tokens
from tests.serve_helpers import TOKEN, Client, app, project, settings

AUTH = {"Authorization": f"Bearer {TOKEN}"}
TOKX = "tokx-value-0123456789"
TOKEN_USERS = """\
access_control:
  users: {u1: {roles: [reader]}}
serve:
  tokens: [{env: TOKX, user: u1}]
"""
#: node code reading the token variables straight from the process, and through a shell
LEAK = """\
name: leak
nodes:
  a:
    type: PythonCodeNode
    config:
      code: |
        import os, subprocess
        shell = subprocess.run(
            ["sh", "-c", "echo \\"[$KAILASH_API_TOKEN][$TOKX]\\""], capture_output=True, text=True
        ).stdout.strip()
        print("leak", os.environ.get("KAILASH_API_TOKEN"))
        result = {"env": os.environ.get("KAILASH_API_TOKEN"), "tokx": os.environ.get("TOKX"), "sh": shell}
outputs:
  seen: "${nodes.a.result}"
"""


def test_token_values_are_redacted_from_what_runs_return_and_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAILASH_API_TOKEN", TOKEN)
    monkeypatch.setenv("TOKX", TOKX)
    root = project(tmp_path, TOKEN_USERS, leak=LEAK)
    with Client(app(root, dict(os.environ))) as c:
        doc = c.post("/workflows/leak/runs", headers=AUTH).json()
        shown = c.get(f"/runs/{doc['run_id']}", headers=AUTH).text

    assert doc["status"] == "succeeded", doc
    assert doc["outputs"]["seen"] == {"env": "***", "tokx": "***", "sh": "[***][***]"}
    stored = (root / ".kailash" / "kailash.db").read_bytes()
    for text in (json.dumps(doc), shown, stored.decode("latin-1")):
        assert TOKEN not in text and TOKX not in text


def test_withdraw_tokens_takes_the_token_variables_out_of_the_environment(tmp_path: Path) -> None:
    root = project(tmp_path, TOKEN_USERS, leak=LEAK)
    environ = {"KAILASH_API_TOKEN": TOKEN, "TOKX": TOKX, "PATH": "/bin"}
    loaded = settings(root, environ)
    withdraw_tokens(loaded.config, environ)

    assert environ == {"PATH": "/bin"}
    assert loaded.tokens.caller(f"Bearer {TOKX}").user == "u1"  # type: ignore[union-attr]


def test_the_anonymous_token_reads_runs_masked_as_kailash_run_without_user(tmp_path: Path) -> None:
    from kailash_cli.api import run_workflow
    from kailash_cli.load.config import load_config
    from tests.test_serve_security import ACCESS, ENV, PEOPLE

    root = project(tmp_path, ACCESS, people=PEOPLE)
    admin = {"Authorization": "Bearer admin-token-abcdef"}
    with Client(app(root, ENV)) as c:
        run_id = c.post("/workflows/people/runs", headers=admin).json()["run_id"]
        anonymous_run = c.post("/workflows/people/runs", headers=AUTH).json()
        read_by_anonymous = c.get(f"/runs/{run_id}", headers=AUTH).json()
        read_by_admin = c.get(f"/runs/{run_id}", headers=admin).json()

    cli = run_workflow(root / "workflows" / "people.yaml", config=load_config(root / "kailash.yaml"))
    assert cli.outputs == {"person": {"ssn": "*******6789"}}
    assert read_by_anonymous["outputs"] == cli.outputs == anonymous_run["outputs"]
    assert read_by_admin["outputs"] == {"person": {"ssn": "123-45-6789"}}


def test_without_access_control_nothing_is_masked(tmp_path: Path) -> None:
    from tests.test_serve_security import PEOPLE

    with Client(app(project(tmp_path, people=PEOPLE), {"KAILASH_API_TOKEN": TOKEN})) as c:
        run_id = c.post("/workflows/people/runs", headers=AUTH).json()["run_id"]
        assert c.get(f"/runs/{run_id}", headers=AUTH).json()["outputs"] == {"person": {"ssn": "123-45-6789"}}


def test_uvicorn_believes_no_proxy_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import httpx

    from kailash_cli.serve.server import uvicorn_config

    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    served = app(project(tmp_path))
    config = uvicorn_config(served, served.state.server)
    config.load()  # the app as uvicorn calls it, its middleware included
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "6.6.6.6"}

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=config.loaded_app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get("/health", headers=forwarded)

    output = served.state.server.output
    lines: list[str] = []
    monkeypatch.setattr(output, "_write", lines.append)
    response = asyncio.run(get())
    served.state.server.stop()

    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers
    assert lines and lines[0].startswith('127.0.0.1 "GET /health" 200'), lines


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_runs_total_counts_only_finished_runs_and_a_gauge_the_running_ones(tmp_path: Path) -> None:
    from tests.serve_helpers import until

    flag = tmp_path / "go"
    with Client(app(project(tmp_path))) as c:
        c.post("/workflows/hello/runs")
        started = c.post("/workflows/block/runs?wait=false", json={"params": {"flag": str(flag)}})
        during = _samples(c.get("/metrics").text)
        flag.touch()
        until(lambda: c.get(f"/runs/{started.json()['run_id']}").json()["status"] == "succeeded")
        after = _samples(c.get("/metrics").text)

    totals = {k: v for k, v in during.items() if k[0] == "kailash_runs_total"}
    assert totals == {("kailash_runs_total", (("status", "succeeded"), ("workflow", "hello"))): 1}
    assert during["kailash_runs_in_progress", (("workflow", "block"),)] == 1
    assert during["kailash_runs_in_progress", (("workflow", "hello"),)] == 0
    assert after["kailash_runs_total", (("status", "succeeded"), ("workflow", "block"))] == 1
    assert after["kailash_runs_in_progress", (("workflow", "block"),)] == 0


def _logged(monkeypatch: pytest.MonkeyPatch, served: object) -> list[str]:
    lines: list[str] = []
    monkeypatch.setattr(served.state.server.output, "_write", lines.append)  # type: ignore[attr-defined]
    return lines


def test_a_server_configuration_problem_is_500_without_server_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_serve_security import GUARDED

    node = "{type: PythonCodeNode, config: {code: 'result = 1'}}"
    needs_env = f"name: needs-env\nenv: [NOT_SET_ANYWHERE_X]\nnodes:\n  a: {node}\n"
    served = app(project(tmp_path, guarded=GUARDED, **{"needs-env": needs_env}))
    lines = _logged(monkeypatch, served)
    with Client(served) as c:
        guarded = c.post("/workflows/guarded/runs", headers={"X-Request-ID": "t-guarded"})
        env = c.post("/workflows/needs-env/runs", headers={"X-Request-ID": "t-env"})
        bad_param = c.post("/workflows/guarded/runs", json={"params": {"x": 1}})

    for response, trace in ((guarded, "t-guarded"), (env, "t-env")):
        assert response.status_code == 500
        message = response.json()["error"]["message"]
        assert message.endswith(f"the server log has trace id {trace}")
        assert str(tmp_path) not in response.text
    assert "cannot run on this server" in guarded.json()["error"]["message"]
    log = "\n".join(lines)
    assert "nodes have permissions but the config has no access_control" in log
    assert f"{tmp_path}" in log and "(trace_id=t-guarded)" in log
    assert "missing environment variable(s): NOT_SET_ANYWHERE_X" in log and "(trace_id=t-env)" in log
    assert bad_param.status_code == 400 and bad_param.json()["error"]["field"] == "params.x"


def test_node_prints_are_node_output_events_in_the_json_log(tmp_path: Path) -> None:
    import io

    from kailash_cli.report.output import Output

    printer = """\
name: printer
nodes:
  talk:
    type: PythonCodeNode
    config:
      code: |
        import sys
        print("to stdout")
        print("to stderr", file=sys.stderr)
        result = 1
"""
    err = io.StringIO()
    with Client(app(project(tmp_path, printer=printer), output=Output(stderr=err, log_format="json"))) as c:
        run_id = c.post("/workflows/printer/runs", headers={"X-Request-ID": "t-print"}).json()["run_id"]

    events = [json.loads(line) for line in err.getvalue().splitlines()]
    printed = [e for e in events if e.get("node") == "talk"]
    expected = {
        "event": "node_output",
        "run_id": run_id,
        "workflow": "printer",
        "node": "talk",
        "trace_id": "t-print",
    }
    assert [(e["level"], e["line"]) for e in printed] == [("info", "to stdout"), ("warning", "to stderr")]
    assert all(expected.items() <= e.items() for e in printed)
    assert [e for e in events if e["event"] == "message"] == []


def test_node_prints_stay_node_prefixed_text_without_json(tmp_path: Path) -> None:
    import io

    from kailash_cli.api import run_workflow
    from kailash_cli.report.output import Output

    wf = "name: p\nnodes:\n  talk: {type: PythonCodeNode, config: {code: \"print('hi'); result = 1\"}}\n"
    (tmp_path / "p.yaml").write_text(wf)
    err = io.StringIO()
    run_workflow(tmp_path / "p.yaml", config=load_config_in(tmp_path), output=Output(stderr=err))

    assert err.getvalue() == "[talk] hi\n"


def load_config_in(root: Path) -> Config:
    from kailash_cli.load.config import load_config

    (root / "kailash.yaml").write_text("runtime: {store: .kailash/kailash.db}\n")
    return load_config(root / "kailash.yaml")


def test_a_broken_store_is_503_on_every_route_that_reads_it_and_not_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_serve import Report

    root = project(tmp_path)
    store = root / ".kailash" / "kailash.db"
    store.parent.mkdir(parents=True)
    store.write_bytes(bytes(range(256)) * 64)
    served = app(root, ready=lambda config, environ: Report(True))
    lines = _logged(monkeypatch, served)
    with Client(served) as c:
        answers = {
            "list": c.get("/runs", headers={"X-Request-ID": "t-list"}),
            "show": c.get("/runs/abc"),
            "post": c.post("/workflows/hello/runs"),
        }
        ready = c.get("/ready")
        store.unlink()  # moved away: a new store
        recovered = c.get("/runs")

    for name, response in answers.items():
        assert response.status_code == 503, name
        assert response.json()["error"]["message"].startswith("the run store cannot be"), name
        assert str(tmp_path) not in response.text
    assert ready.status_code == 503
    assert ready.json()["status"] == "unhealthy"
    assert [(c["name"], c["status"]) for c in ready.json()["checks"]] == [("store", "fail")]
    assert any("file is not a database" in line and "(trace_id=t-list)" in line for line in lines)
    assert recovered.status_code == 200 and recovered.json() == []


@pytest.mark.parametrize("environ", [{}, {"KAILASH_API_TOKEN": TOKEN}])
def test_a_request_cannot_forge_lines_of_the_text_access_log(tmp_path: Path, environ: dict[str, str]) -> None:
    import io

    from kailash_cli.report.output import Output

    err = io.StringIO()
    with Client(app(project(tmp_path), environ, output=Output(stderr=err))) as c:
        c.get("/x%0aerror:%20FORGED%20LINE%1b[31m%e2%80%a8%22%20200%20user=admin_001")

    lines = err.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        '127.0.0.1 "GET /x\\nerror: FORGED LINE\\x1b[31m\\u2028\\" 200 user=admin_001" 40'
    ), lines


def test_escaped_keeps_printable_text_and_escapes_the_rest() -> None:
    from kailash_cli.serve.logs import escaped

    assert escaped("/runs/é日本?a=1") == "/runs/é日本?a=1"
    assert escaped('a\\b"c\r\n\t\x00\x85\udcff') == 'a\\\\b\\"c\\r\\n\\t\\x00\\x85\\udcff'


def test_openapi_describes_the_run_body_the_token_and_400s(tmp_path: Path) -> None:
    with Client(app(project(tmp_path), {"KAILASH_API_TOKEN": TOKEN})) as c:
        spec = c.get("/openapi.json", headers=AUTH).json()

    post = spec["paths"]["/workflows/{name}/runs"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["params"]["type"] == "object" and body["additionalProperties"] is False
    assert spec["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
    assert spec["security"] == [{"bearer": []}]
    assert spec["paths"]["/health"]["get"]["security"] == []
    every = [op["responses"] for ops in spec["paths"].values() for op in ops.values()]
    assert all("422" not in responses for responses in every)
    assert {"200", "202", "400", "401", "403", "404", "413", "500", "503"} <= set(post["responses"])
    assert post["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_head_health_is_200_without_a_token(tmp_path: Path) -> None:
    with Client(app(project(tmp_path), {"KAILASH_API_TOKEN": TOKEN})) as c:
        response = c.request("HEAD", "/health")

    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_preflight_from_a_refused_origin_is_a_json_400(tmp_path: Path) -> None:
    root = project(tmp_path, "serve: {cors_origins: ['https://ui.example.com']}\n")
    with Client(app(root)) as c:
        refused = c.request(
            "OPTIONS",
            "/workflows/hello/runs",
            headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
        )

    assert refused.status_code == 400
    assert refused.json() == {
        "error": {"message": "CORS preflight refused: disallowed CORS origin; see serve.cors_origins"}
    }
    assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize(
    "path", ["/workflows/..%2Fhello/runs", "/workflows/a%2Fb/runs", "/workflows/a/b/runs"]
)
def test_a_name_with_a_slash_is_400_not_404(tmp_path: Path, path: str) -> None:
    with Client(app(project(tmp_path))) as c:
        response = c.post(path)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "name"


def test_a_store_moved_away_or_replaced_while_serving_is_read_afresh(tmp_path: Path) -> None:
    root = project(tmp_path)
    store = root / ".kailash" / "kailash.db"
    with Client(app(root)) as c:
        first = c.post("/workflows/hello/runs").json()["run_id"]
        assert [r["run_id"] for r in c.get("/runs").json()] == [first]
        for name in os.listdir(store.parent):  # moved away, as the 503 message advises
            os.rename(store.parent / name, tmp_path / name)
        assert c.get("/runs").json() == []
        second = c.post("/workflows/hello/runs").json()["run_id"]
        listed = [r["run_id"] for r in c.get("/runs").json()]
        shown = c.get(f"/runs/{second}")

    assert listed == [second]
    assert shown.status_code == 200 and shown.json()["run_id"] == second


def test_a_runs_slot_is_free_before_its_caller_hears_the_outcome() -> None:
    """A client that got its answer and reads /metrics or posts again never finds its own
    run still going on (it read `kailash_serve_runs_in_progress 1` under load)."""
    from kailash_cli.serve.runs import RunPool

    pool = RunPool(1)
    seen: list[int] = []
    for outcome in ("done", ValueError("boom")):

        def call(ticket: object, outcome: object = outcome) -> object:
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        ticket = pool.submit(call)
        ticket.result.add_done_callback(lambda _: seen.append(pool.in_progress()))  # runs as it is set
        ticket.result.exception(timeout=30)
    assert seen == [0, 0]
    assert pool.drain(0, 1)
