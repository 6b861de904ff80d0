"""``kailash serve`` routes, in-process through FastAPI's TestClient: runs, history, metrics."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kailash_cli.report.output import Output
from tests.helpers import write
from tests.serve_helpers import Client, app, free_port, project, until


@pytest.fixture
def client(tmp_path: Path):
    with Client(app(project(tmp_path))) as c:
        yield c


def test_a_run_answers_its_document_as_run_output_json(client: Client) -> None:
    response = client.post("/workflows/hello/runs", json={"params": {"who": "Ada"}})

    assert response.status_code == 200
    doc = response.json()
    assert doc["status"] == "succeeded"
    assert doc["outputs"] == {"greeting": "Hello, Ada!"}
    assert list(doc) == ["run_id", "workflow", "status", "started_at", "duration_ms", "outputs", "nodes"]
    assert response.headers["cache-control"] == "no-store"


def test_a_failed_run_is_200_with_the_status_in_the_body(client: Client) -> None:
    doc = client.post("/workflows/failing/runs").json()

    assert doc["status"] == "failed"
    assert doc["nodes"]["boom"]["error"] == "ValueError: no luck"


def test_an_empty_body_runs_with_the_defaults(client: Client) -> None:
    assert client.post("/workflows/hello/runs", content=b"").json()["outputs"] == {
        "greeting": "Hello, world!"
    }


def test_wait_false_answers_202_with_the_run_id_and_its_location(client: Client, tmp_path: Path) -> None:
    flag = tmp_path / "go"
    response = client.post("/workflows/block/runs?wait=false", json={"params": {"flag": str(flag)}})

    assert response.status_code == 202
    run_id = response.json()["run_id"]
    assert response.headers["location"] == f"/runs/{run_id}"
    assert client.get(f"/runs/{run_id}").json()["status"] == "running"
    flag.touch()
    done = until(lambda: (d := client.get(f"/runs/{run_id}").json())["status"] != "running" and d)
    assert done["status"] == "succeeded" and done["outputs"] == {"done": True}


def test_runs_lists_the_history_like_runs_list(client: Client) -> None:
    first = client.post("/workflows/hello/runs").json()["run_id"]
    second = client.post("/workflows/failing/runs").json()["run_id"]

    listed = client.get("/runs").json()
    assert [r["run_id"] for r in listed] == [second, first]
    assert list(listed[0]) == ["run_id", "workflow", "status", "started_at", "duration_ms"]
    assert [r["run_id"] for r in client.get("/runs?status=failed").json()] == [second]
    assert [r["run_id"] for r in client.get("/runs?workflow=hello").json()] == [first]
    assert len(client.get("/runs?limit=1").json()) == 1


def test_runs_show_is_the_stored_document(client: Client) -> None:
    run_id = client.post("/workflows/hello/runs", json={"params": {"who": "Bo"}}).json()["run_id"]

    doc = client.get(f"/runs/{run_id}").json()
    assert doc["outputs"] == {"greeting": "Hello, Bo!"}
    assert doc["params"] == {"who": "Bo", "times": 1}


@pytest.mark.parametrize(
    ("query", "field"), [("status=done", "status"), ("limit=0", "limit"), ("limit=x", "limit")]
)
def test_bad_history_queries_are_400_naming_the_field(client: Client, query: str, field: str) -> None:
    response = client.get(f"/runs?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_unknown_run_is_404(client: Client) -> None:
    response = client.get("/runs/nope")

    assert response.status_code == 404
    assert response.json() == {"error": {"message": "unknown run id 'nope'; GET /runs lists the runs"}}


def test_workflows_lists_what_is_served(client: Client) -> None:
    listed = {w["name"]: w for w in client.get("/workflows").json()}

    assert sorted(listed) == ["block", "failing", "hello"]
    assert listed["hello"]["params"]["who"] == {"type": "string", "required": False, "default": "world"}


def test_openapi_describes_the_routes(client: Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert {"/health", "/ready", "/metrics", "/runs", "/runs/{run_id}", "/workflows/{name}/runs"} <= set(
        paths
    )


def test_unknown_route_is_a_json_404(client: Client) -> None:
    response = client.get("/nothing")

    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Not Found"}}


@pytest.mark.parametrize(("method", "path"), [("GET", "/runs/"), ("POST", "/workflows/hello/runs/")])
def test_a_trailing_slash_is_404_not_a_redirect_to_the_callers_host(
    client: Client, method: str, path: str
) -> None:
    response = client.request(method, path, headers={"Host": "evil.example.com"}, follow_redirects=False)

    assert (response.status_code, response.headers.get("location")) == (404, None)


def test_made_up_methods_make_no_series_of_their_own(client: Client) -> None:
    for i in range(3):
        client.request(f"X{i}", "/nothing")

    samples = [
        s.labels
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for s in family.samples
        if s.name == "kailash_serve_requests_total"
    ]
    assert {"method": "other", "route": "unmatched", "status": "404"} in samples
    assert [labels for labels in samples if labels["method"].startswith("X")] == []


def test_metrics_come_from_the_store_and_the_process(client: Client) -> None:
    client.post("/workflows/hello/runs")
    client.post("/workflows/hello/runs")
    client.post("/workflows/failing/runs")

    text = client.get("/metrics").text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples["kailash_runs_total", (("status", "succeeded"), ("workflow", "hello"))] == 2
    assert samples["kailash_runs_total", (("status", "failed"), ("workflow", "failing"))] == 1
    node = (("node", "greet"), ("status", "succeeded"), ("workflow", "hello"))
    assert samples["kailash_node_executions_total", node] == 2
    hist = (("status", "succeeded"), ("workflow", "hello"))
    assert samples["kailash_run_seconds_count", hist] == 2
    assert samples["kailash_run_seconds_bucket", (("le", "+Inf"), *hist)] == 2
    assert samples["kailash_node_duration_seconds_count", node] == 2
    last = samples["kailash_last_success_timestamp_seconds", (("workflow", "hello"),)]
    assert abs(last - time.time()) < 3600
    assert ("kailash_last_success_timestamp_seconds", (("workflow", "failing"),)) not in samples
    assert samples["kailash_last_run_timestamp_seconds", (("workflow", "failing"),)] >= last - 3600
    posts = (("method", "POST"), ("route", "/workflows/{name}/runs"), ("status", "200"))
    assert samples["kailash_serve_requests_total", posts] == 3
    assert samples["kailash_serve_runs_in_progress", ()] == 0
    assert samples["kailash_store_up", ()] == 1
    assert [name for name, _ in samples if name.endswith("_created")] == []


def test_metrics_before_any_run(tmp_path: Path) -> None:
    with Client(app(project(tmp_path))) as c:
        text = c.get("/metrics").text

    assert "kailash_store_up 1.0" in text
    assert "kailash_runs_total" not in text


def test_an_unreadable_store_is_store_up_0(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root / ".kailash" / "kailash.db", "not a database")
    with Client(app(root)) as c:
        assert "kailash_store_up 0.0" in c.get("/metrics").text


class Report:
    def __init__(self, healthy: bool) -> None:
        self.healthy = healthy

    def to_dict(self) -> dict[str, object]:
        return {"status": "healthy" if self.healthy else "unhealthy", "checks": []}


@pytest.mark.parametrize(("healthy", "status"), [(True, 200), (False, 503)])
def test_ready_is_the_health_report(tmp_path: Path, healthy: bool, status: int) -> None:
    with Client(app(project(tmp_path), ready=lambda config, environ: Report(healthy))) as c:
        response = c.get("/ready")

    assert response.status_code == status
    assert response.json()["status"] == ("healthy" if healthy else "unhealthy")


def test_ready_runs_the_configs_real_checks(tmp_path: Path) -> None:
    check = f"{{name: down, type: tcp, host: 127.0.0.1, port: {free_port()}, timeout: 2}}"
    config = f"health:\n  checks:\n    - {check}\n"
    with Client(app(project(tmp_path, config))) as c:
        response = c.get("/ready")

    assert response.status_code == 503
    assert [c["name"] for c in response.json()["checks"]] == ["down"]


def test_an_error_no_route_handles_is_a_json_500_without_traceback(tmp_path: Path) -> None:
    def broken(config: object, environ: object) -> Report:
        raise RuntimeError("checker broke")

    err = io.StringIO()
    with Client(app(project(tmp_path), ready=broken, output=Output(stderr=err))) as c:
        response = c.get("/ready", headers={"X-Request-ID": "req-1"})

    assert response.status_code == 500
    assert response.json() == {"error": {"message": "internal error; the server log has trace id req-1"}}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "error: request failed: RuntimeError: checker broke" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_json_logs_carry_the_trace_id(tmp_path: Path) -> None:
    err = io.StringIO()
    with Client(app(project(tmp_path), output=Output(stderr=err, log_format="json"))) as c:
        c.get("/health", headers={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})

    lines = [json.loads(line) for line in err.getvalue().splitlines()]
    access = [line for line in lines if line["event"] == "http_request"]
    assert access[0]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert access[0]["status"] == 200 and access[0]["path"] == "/health"


def test_a_run_whose_process_is_gone_counts_as_interrupted(tmp_path: Path) -> None:
    import sqlite3
    import subprocess
    import sys

    root = project(tmp_path)
    with Client(app(root)) as c:
        run_id = c.post("/workflows/hello/runs").json()["run_id"]
        gone = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
        )
        with sqlite3.connect(root / ".kailash" / "kailash.db") as db:
            db.execute("UPDATE runs SET status='running', pid=? WHERE run_id=?", (int(gone.stdout), run_id))
        text = c.get("/metrics").text

    assert 'kailash_runs_total{status="interrupted",workflow="hello"} 1.0' in text


def test_quiet_keeps_only_errors(tmp_path: Path) -> None:
    def broken(config: object, environ: object) -> Report:
        raise RuntimeError("checker broke")

    err = io.StringIO()
    with Client(app(project(tmp_path), ready=broken, output=Output(stderr=err, quiet=True))) as c:
        c.get("/health")
        c.get("/ready")

    assert err.getvalue().startswith("error: request failed: RuntimeError: checker broke (trace_id=")
    assert err.getvalue().count("\n") == 1


def test_a_runs_log_events_carry_the_requests_trace_id(tmp_path: Path) -> None:
    code = "import logging; logging.error('x')"
    noisy = f'name: noisy\nnodes:\n  a: {{type: PythonCodeNode, config: {{code: "{code}"}}}}\n'
    err = io.StringIO()
    with Client(app(project(tmp_path, noisy=noisy), output=Output(stderr=err, log_format="json"))) as c:
        c.post("/workflows/noisy/runs", headers={"X-Request-ID": "req-9"})

    events = [json.loads(line) for line in err.getvalue().splitlines()]
    run_events = [e for e in events if e["event"] != "http_request"]
    assert run_events and all(e.get("trace_id") == "req-9" for e in run_events)
