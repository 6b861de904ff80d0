"""WebhookAlertNode against a real HTTP server on 127.0.0.1 that records what it received."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from helpers import http_server, run_node, run_workflow, statuses

from kailash_cli.nodes.http import HTTPStatusError
from kailash_cli.nodes.webhook import DISCORD_LIMIT, TRUNCATED, build_payload, safe_url


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    status: list[int]

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append(
            {"path": self.path, "headers": dict(self.headers), "body": json.loads(body or b"null")}
        )
        code = self.status.pop(0) if self.status else 200
        self.send_response(code)
        text = b"ok" if code < 300 else b"invalid_token"
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    received: list[dict[str, Any]] = []
    status: list[int] = []
    handler = type("Handler", (_Recorder,), {"received": received, "status": status})
    with http_server(handler) as url:
        yield url, received, status


@pytest.mark.parametrize(
    ("format_", "body"),
    [
        ("slack", {"text": "disk full"}),
        ("discord", {"content": "disk full"}),
        (
            "teams",
            {
                "type": "message",
                "attachments": [
                    {
                        "contentType": "application/vnd.microsoft.card.adaptive",
                        "contentUrl": None,
                        "content": {
                            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "type": "AdaptiveCard",
                            "version": "1.4",
                            "body": [{"type": "TextBlock", "text": "disk full", "wrap": True}],
                        },
                    }
                ],
            },
        ),
    ],
)
def test_each_format_posts_its_documented_payload(tmp_path: Path, hook: Any, format_: str, body: Any) -> None:
    url, received, _ = hook
    params = {"url": f"{url}/hooks/T1/B2/s3cr3t", "message": "disk full", "format": format_}
    out = run_node("WebhookAlertNode", {**params, "headers": {"X-Team": "ops"}}, base_dir=tmp_path)
    assert out == {"status_code": 200}
    assert received[0]["path"] == "/hooks/T1/B2/s3cr3t"
    assert received[0]["body"] == body
    assert received[0]["headers"]["X-Team"] == "ops"
    assert received[0]["headers"]["Content-Type"] == "application/json"


def test_discord_message_is_cut_to_its_limit_with_a_marker() -> None:
    content = build_payload("discord", "x" * 5000, {}, "alert")["content"]
    assert len(content) == DISCORD_LIMIT
    assert content.endswith(TRUNCATED)
    assert build_payload("discord", "y" * DISCORD_LIMIT, {}, "alert")["content"] == "y" * DISCORD_LIMIT


def test_non_2xx_fails_without_showing_the_webhook_secret(tmp_path: Path, hook: Any) -> None:
    url, _, status = hook
    status.append(403)
    with pytest.raises(HTTPStatusError) as info:
        run_node(
            "WebhookAlertNode", {"url": f"{url}/hooks/s3cr3t?token=t0k", "message": "m"}, base_dir=tmp_path
        )
    host = url.removeprefix("http://")
    assert str(info.value) == f"POST http://{host}/… returned 403, expected 2xx: invalid_token"


def test_unreachable_host_is_a_connection_error_without_the_secret(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionError) as info:
        run_node(
            "WebhookAlertNode", {"url": f"http://127.0.0.1:{port}/s3cr3t", "message": "m"}, base_dir=tmp_path
        )
    assert str(info.value) == f"POST http://127.0.0.1:{port}/… failed: ConnectError"


def test_safe_url_keeps_only_scheme_and_host() -> None:
    assert safe_url("https://user:pw@hooks.slack.com/services/T/B/X") == "https://hooks.slack.com/…"
    assert safe_url("https://example.com") == "https://example.com"
    assert safe_url("http://example.com:8080/") == "http://example.com:8080"


NIGHTLY = """
name: nightly
nodes:
  extract:
    type: PythonCodeNode
    config: {code: "result = 1 / 0"}
  load:
    type: PythonCodeNode
    config: {code: "result = data"}
  alert:
    type: WebhookAlertNode
    config:
      url: "URL/hook"
      format: json
      message: "${run.workflow} ${run.status}: ${failure.node} failed: ${failure.error} (${failure.nodes})"
    retry: {max_attempts: 2, base_delay: 0}
connections: ["extract.result -> load.data"]
on_failure: [alert]
"""


def test_on_failure_alert_reaches_the_server_with_the_failure(tmp_path: Path, hook: Any) -> None:
    url, received, status = hook
    status.append(500)  # the first attempt fails; the node's retry policy tries again
    result = run_workflow(tmp_path, NIGHTLY.replace("URL", url))
    assert statuses(result) == {"extract": "failed", "load": "skipped", "alert": "succeeded"}
    assert result.status == "failed"
    assert result.nodes["alert"].attempts == 2
    body = received[-1]["body"]
    assert body == {
        "message": 'nightly failed: extract failed: ZeroDivisionError: division by zero (["extract"])',
        "workflow": "nightly",
        "run_id": result.run_id,
        "status": "failed",
        "node": "alert",
    }


def test_a_failing_alert_never_hides_the_first_failure(tmp_path: Path, hook: Any) -> None:
    url, received, status = hook
    status.extend([500] * 5)
    result = run_workflow(tmp_path, NIGHTLY.replace("URL", url))
    assert result.status == "failed"
    assert result.nodes["extract"].error == "ZeroDivisionError: division by zero"
    assert result.nodes["alert"].status == "failed"
    assert result.nodes["alert"].error is not None and "returned 500" in result.nodes["alert"].error
    assert len(received) == 2


def test_no_alert_when_the_run_succeeds(tmp_path: Path, hook: Any) -> None:
    url, received, _ = hook
    result = run_workflow(tmp_path, NIGHTLY.replace("URL", url).replace("1 / 0", "1"))
    assert result.status == "succeeded"
    assert statuses(result) == {"extract": "succeeded", "load": "succeeded", "alert": "skipped"}
    assert result.nodes["alert"].error == "the run did not fail"
    assert received == []


def test_the_nightly_example_alerts_only_when_it_fails(tmp_path: Path, hook: Any) -> None:
    import shutil

    from helpers import REPO, kailash

    url, received, _ = hook
    copy = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", copy, ignore=shutil.ignore_patterns("out", "__pycache__"))
    env = {"ALERT_WEBHOOK_URL": f"{url}/services/T0/B0/s3cr3t"}
    ok = kailash("run", copy / "nightly-with-alert.yaml", "--output", "json", cwd=tmp_path, extra_env=env)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["nodes"]["alert"]["status"] == "skipped"
    assert received == []
    args = ("-p", "fail=true", "-p", "alert_format=discord", "--output", "json")
    failed = kailash("run", copy / "nightly-with-alert.yaml", *args, cwd=tmp_path, extra_env=env)
    assert failed.returncode == 1, failed.stderr
    doc = json.loads(failed.stdout)
    assert doc["nodes"]["alert"]["status"] == "succeeded"
    assert received[0]["path"] == "/services/T0/B0/s3cr3t"
    assert received[0]["body"] == {
        "content": f"nightly-with-alert run {doc['run_id']} failed: load failed: "
        "ConnectionError: warehouse unreachable"
    }
