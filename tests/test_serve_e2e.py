"""The real ``kailash serve`` process on 127.0.0.1 and a real HTTP client: tokens, oversize
and malformed bodies, concurrent runs, SIGTERM during a run."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import kailash, popen_e2e
from tests.serve_helpers import BLOCK, HELLO, TOKEN, project, until

pytestmark = pytest.mark.e2e
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Served:
    """A ``kailash --log-format json serve`` process; ``url`` once it listens, its log lines."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self.wait_for("serve_started")["url"]

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.raw.append(line)
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self.lines.append(event)
            self._events.put(event)

    def wait_for(self, name: str, timeout: float = 60) -> dict[str, Any]:
        while True:
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {name} event; stderr: {''.join(self.raw)}") from None
            if event["event"] == name:
                return event

    def stop(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return code


@contextmanager
def served(root: Path, env: dict[str, str] | None = None, host: str = "127.0.0.1") -> Iterator[Served]:
    proc = popen_e2e(
        "--log-format", "json", "serve", "workflows", "--host", host, "--port", "0", cwd=root, extra_env=env
    )  # fmt: skip
    try:
        yield Served(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_tokens_bodies_and_logs_against_the_real_server(tmp_path: Path) -> None:
    root = project(tmp_path, "serve: {max_body: 1KB}\n", hello=HELLO)
    with (
        served(root, {"KAILASH_API_TOKEN": TOKEN}) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        assert http.get("/health").status_code == 200
        assert http.get("/runs").status_code == 401
        assert http.get("/runs", headers={"Authorization": "Bearer " + TOKEN[:-1]}).status_code == 401
        bad_json = http.post("/workflows/hello/runs", content=b'{"params": ', headers=AUTH)
        ok = http.post(
            "/workflows/hello/runs",
            json={"params": {"who": "e2e"}},
            headers={**AUTH, "X-Request-ID": "e2e-1"},
        )
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=60) as raw:
            raw.sendall(
                b"POST /workflows/hello/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + TOKEN.encode()
                + b"\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{"
            )
            head = raw.recv(65536).decode()
        code = server.stop()

    assert bad_json.status_code == 400 and bad_json.json()["error"]["message"].startswith(
        "the body is not valid JSON"
    )
    assert ok.status_code == 200 and ok.json()["outputs"] == {"greeting": "Hello, e2e!"}
    assert head.startswith("HTTP/1.1 413 ")
    assert code == 0
    access = [e for e in server.lines if e["event"] == "http_request"]
    assert {"path": "/workflows/hello/runs", "status": 200, "trace_id": "e2e-1"}.items() <= access[4].items()
    assert [e["status"] for e in access] == [200, 401, 401, 400, 200, 413]
    stderr = "".join(server.raw)
    assert TOKEN not in stderr and "Traceback" not in stderr
    assert all(e["level"] in ("debug", "info", "warning", "error") for e in server.lines)


def test_concurrent_posts_against_the_real_server(tmp_path: Path) -> None:
    root = project(tmp_path, "serve: {max_concurrency: 20}\n", hello=HELLO)
    with served(root) as server, httpx.Client(base_url=server.url, timeout=60) as http:

        def post(i: int) -> httpx.Response:
            return http.post("/workflows/hello/runs", json={"params": {"who": f"p{i}"}})

        with ThreadPoolExecutor(20) as pool:
            responses = list(pool.map(post, range(20)))
        metrics = http.get("/metrics").text
        assert server.stop() == 0

    assert [r.json()["outputs"]["greeting"] for r in responses] == [f"Hello, p{i}!" for i in range(20)]
    assert len({r.json()["run_id"] for r in responses}) == 20
    assert 'kailash_runs_total{status="succeeded",workflow="hello"} 20.0' in metrics


def _status(root: Path, run_id: str) -> str:
    proc = kailash("runs", "show", run_id, "--output", "json", cwd=root)
    return str(json.loads(proc.stdout)["status"])


def test_sigterm_lets_a_running_run_finish_and_exits_0(tmp_path: Path) -> None:
    root = project(tmp_path, block=BLOCK)
    flag = tmp_path / "go"
    with served(root) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(http.post, "/workflows/block/runs", json={"params": {"flag": str(flag)}})
            until(lambda: http.get("/runs").json())
            server.proc.send_signal(signal.SIGTERM)
            server.wait_for("serve_stopping")
            flag.touch()
            answer = waiting.result(timeout=60)
        code = server.proc.wait(timeout=60)

    assert code == 0
    assert answer.status_code == 200 and answer.json()["status"] == "succeeded"
    assert _status(root, answer.json()["run_id"]) == "succeeded"


def test_sigterm_past_the_grace_period_records_the_run_interrupted(tmp_path: Path) -> None:
    root = project(tmp_path, "serve: {grace_period: 0.2}\n", block=BLOCK)
    with served(root) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        started = http.post(
            "/workflows/block/runs?wait=false", json={"params": {"flag": str(tmp_path / "never")}}
        )
        code = server.stop()

    assert started.status_code == 202
    assert code == 0
    assert _status(root, started.json()["run_id"]) == "interrupted"
    assert server.wait_for("serve_stopped")["runs_left"] == 0


def test_the_benchmark_runs_with_tiny_numbers() -> None:
    import sys

    from tests.helpers import REPO

    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "serve.py"), "--requests", "3", "--runs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout.splitlines()[-1])
    assert set(figures) == {"health", "runs", "baseline", "ratio"}
    assert figures["runs"]["rps"] > 0


def test_runs_of_the_real_server_cannot_read_the_tokens(tmp_path: Path) -> None:
    from tests.test_serve_hardening import LEAK, TOKEN_USERS, TOKX

    root = project(tmp_path, TOKEN_USERS, leak=LEAK)
    with (
        served(root, {"KAILASH_API_TOKEN": TOKEN, "TOKX": TOKX}) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        doc = http.post("/workflows/leak/runs", headers={"Authorization": f"Bearer {TOKX}"}).json()
        assert server.stop() == 0

    assert doc["outputs"]["seen"] == {"env": None, "tokx": None, "sh": "[][]"}
    stderr = "".join(server.raw)
    assert TOKEN not in stderr and TOKX not in stderr


def test_an_open_server_warns_with_the_port_it_listens_on(tmp_path: Path) -> None:
    with served(project(tmp_path, hello=HELLO), host="0.0.0.0") as server:
        port = server.url.rsplit(":", 1)[1]
        [warning] = [e["message"] for e in server.lines if "KAILASH_API_TOKEN" in e.get("message", "")]
        assert warning == (
            f"warning: KAILASH_API_TOKEN is not set: anyone who reaches 0.0.0.0:{port} can run the workflows"
        )
        assert server.stop() == 0  # a SIGTERM right after the start is a clean stop too


def test_a_workflow_folders_own_config_that_serve_does_not_use_is_a_warning(tmp_path: Path) -> None:
    root = project(tmp_path, hello=HELLO)
    (root / "workflows" / "team").mkdir()
    (root / "workflows" / "team" / "other.yaml").write_text(HELLO.replace("name: hello", "name: other"))
    (root / "workflows" / "team" / "kailash.yaml").write_text("runtime: {}\n")
    with served(root) as server:
        said = [e.get("message", "") for e in server.lines]
        assert server.stop() == 0

    beside = root / "workflows" / "team" / "kailash.yaml"
    assert any(m.startswith(f"warning: {beside} is not used (the config in use is ") for m in said), said
