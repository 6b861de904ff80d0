"""``run --metrics-file`` and ``--push-gateway``: every text is read back with
prometheus_client's parser; the Pushgateway is a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from helpers import http_server, kailash, write
from prometheus_client.parser import text_string_to_metric_families

from kailash_cli.errors import UsageError
from kailash_cli.model.result import NodeResult, RunResult
from kailash_cli.nodes.files import FileAccessError
from kailash_cli.report.metrics import METRICS, RunFacts, RunMetrics, render, run_samples
from kailash_cli.report.metrics_file import check_target, push, write_metrics

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def series(text: str) -> Series:
    """Every sample of a Prometheus text, by (name, labels)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Series, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def types(text: str) -> dict[str, str]:
    return {f.name: f.type for f in text_string_to_metric_families(text)}


def result(workflow: str = 'we"ird', status: str = "failed", seconds: float = 2.0) -> RunResult:
    nodes = {
        "a": NodeResult("succeeded", 1, 20.0),
        "b": NodeResult("failed", 3, 1500.0, "E: x"),
        "c": NodeResult("skipped", error="input did not arrive"),
    }
    return RunResult("r1", workflow, status, "2026-01-01T00:00:00+00:00", seconds * 1000, nodes, {})


def test_one_run_renders_counters_histogram_and_gauges_with_escaped_labels() -> None:
    text = render(run_samples(result(), RunFacts(ended_at=1000.0, peak_memory_bytes=5_000_000)))
    found = series(text)
    wf = 'we"ird'
    assert value(found, "kailash_runs_total", workflow=wf, status="failed") == 1
    assert value(found, "kailash_run_duration_seconds", workflow=wf) == 2
    assert value(found, "kailash_node_executions_total", workflow=wf, node="c", status="skipped") == 1
    assert value(found, "kailash_last_run_timestamp_seconds", workflow=wf) == 1000
    assert value(found, "kailash_last_success_timestamp_seconds", workflow=wf) is None  # it failed
    assert value(found, "kailash_run_peak_memory_bytes", workflow=wf) == 5_000_000
    assert types(text)["kailash_node_duration_seconds"] == "histogram"
    assert types(text)["kailash_runs"] == "counter"


def test_histogram_buckets_are_cumulative_and_skipped_nodes_have_none() -> None:
    found = series(render(run_samples(result())))
    b = {"workflow": 'we"ird', "node": "b", "status": "failed"}
    assert value(found, "kailash_node_duration_seconds_bucket", **b, le="1.0") == 0
    assert value(found, "kailash_node_duration_seconds_bucket", **b, le="2.5") == 1
    assert value(found, "kailash_node_duration_seconds_bucket", **b, le="+Inf") == 1
    assert value(found, "kailash_node_duration_seconds_sum", **b) == 1.5
    assert not [k for k in found if dict(k[1]).get("node") == "c" and "duration" in k[0]]


def test_retries_dead_letters_and_breakers_are_counted() -> None:
    observed = RunMetrics()
    observed.node_retrying("b", 1, 0.1, "E: x")
    observed.node_retrying("b", 2, 0.1, "E: x")
    observed.dead_letter("b", "PythonCodeNode", {}, NodeResult("failed", 3))
    facts = RunFacts(observed, {"a": "closed", "b": "open", "d": "half_open"})
    found = series(render(run_samples(result("w"), facts)))
    assert value(found, "kailash_node_retries_total", workflow="w", node="b") == 2
    assert value(found, "kailash_dead_letters_total", workflow="w", node="b") == 1
    states = {n: value(found, "kailash_circuit_breaker_state", workflow="w", node=n) for n in "abd"}
    assert states == {"a": 0, "b": 1, "d": 0.5}


def test_runs_accumulate_other_workflows_stay_and_gauges_are_replaced(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    write_metrics(result("w", "succeeded", 1.0), path, RunFacts(ended_at=100.0))
    write_metrics(result("other", "succeeded", 9.0), path, RunFacts(ended_at=150.0))
    write_metrics(result("w", "failed", 3.0), path, RunFacts(ended_at=200.0))
    found = series(path.read_text())
    assert value(found, "kailash_runs_total", workflow="w", status="succeeded") == 1
    assert value(found, "kailash_runs_total", workflow="w", status="failed") == 1
    assert value(found, "kailash_runs_total", workflow="other", status="succeeded") == 1
    a = {"workflow": "w", "node": "a", "status": "succeeded"}
    assert value(found, "kailash_node_executions_total", **a) == 2
    assert value(found, "kailash_node_duration_seconds_count", **a) == 2
    assert value(found, "kailash_node_duration_seconds_sum", **a) == pytest.approx(0.04)
    assert value(found, "kailash_run_duration_seconds", workflow="w") == 3  # the last run's
    assert value(found, "kailash_run_duration_seconds", workflow="other") == 9
    assert value(found, "kailash_last_run_timestamp_seconds", workflow="w") == 200
    assert value(found, "kailash_last_success_timestamp_seconds", workflow="w") == 100  # kept
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == ["m.prom"]


def test_series_of_other_tools_in_the_file_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "m.prom", "# HELP backup_ok Backups.\n# TYPE backup_ok gauge\nbackup_ok 1\n")
    write_metrics(result("w"), path)
    found = series(path.read_text())
    assert value(found, "backup_ok") == 1
    assert value(found, "kailash_runs_total", workflow="w", status="failed") == 1


def test_an_unreadable_file_is_moved_aside_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "m.prom", "this is {not prometheus\n")
    warnings: list[str] = []
    write_metrics(result("w"), path, warn=warnings.append)
    [warning] = warnings
    assert warning.startswith(f"warning: --metrics-file {path}: the existing file is not Prometheus text (")
    assert warning.endswith(f"moved it to {path}.bad and started a new one")
    assert (tmp_path / "m.prom.bad").read_text() == "this is {not prometheus\n"
    assert value(series(path.read_text()), "kailash_runs_total", workflow="w", status="failed") == 1


def test_writers_at_once_lose_no_run(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    barrier = threading.Barrier(4)

    def writer() -> None:
        barrier.wait()
        for _ in range(10):
            write_metrics(result("w"), path)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert value(series(path.read_text()), "kailash_runs_total", workflow="w", status="failed") == 40


def test_write_does_not_create_folders(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "m.prom"
    with pytest.raises(FileAccessError):
        write_metrics(result(), path)
    assert not (tmp_path / "missing").exists()


def test_every_metric_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for family in METRICS:
        name = family.name + ("_total" if family.kind == "counter" else "")
        assert f"`{name}`" in readme, name


# -- the command --------------------------------------------------------------------------

FLAKY = """\
name: m
nodes:
  a: {type: PythonCodeNode, config: {code: "result = 1"}}
  b:
    type: PythonCodeNode
    config: {code: "raise ConnectionError('down')"}
    retry: {max_attempts: 2, strategy: immediate}
    circuit_breaker: {failure_threshold: 1, recovery_timeout: 600}
    continue_on_error: true
"""


def test_run_merges_into_the_metrics_file(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", FLAKY)
    (tmp_path / "metrics").mkdir()  # the folder must exist: it is not created
    for _ in range(2):
        proc = kailash("run", "wf.yaml", "--metrics-file", "metrics/run.prom", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    found = series((tmp_path / "metrics" / "run.prom").read_text())
    assert value(found, "kailash_runs_total", workflow="m", status="succeeded") == 2
    assert value(found, "kailash_node_executions_total", workflow="m", node="a", status="succeeded") == 2
    assert value(found, "kailash_node_retries_total", workflow="m", node="b") == 1  # the 2nd: breaker open
    assert value(found, "kailash_dead_letters_total", workflow="m", node="b") == 1  # refused: not called
    assert value(found, "kailash_circuit_breaker_state", workflow="m", node="b") == 1
    assert value(found, "kailash_last_success_timestamp_seconds", workflow="m") is not None
    assert (value(found, "kailash_run_peak_memory_bytes", workflow="m") or 0) > 1_000_000


def test_a_run_stopped_by_sigterm_writes_its_metrics_and_exits_143(tmp_path: Path) -> None:
    """The node sends SIGTERM to its own process: the handler is the run's for sure."""
    write(
        tmp_path / "wf.yaml",
        """\
        name: t
        nodes:
          a:
            type: PythonCodeNode
            config: {code: "import os, signal; os.kill(os.getpid(), signal.SIGTERM); result = 1"}
          b: {type: PythonCodeNode, config: {code: "result = 2", x: "${nodes.a.result}"}}
        """,
    )
    proc = kailash("run", "wf.yaml", "--metrics-file", "m.prom", cwd=tmp_path)
    assert proc.returncode == 143, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("SIGTERM: stopping; no new node starts") or "SIGTERM: stopping" in proc.stderr
    assert lines[-1].startswith("interrupted: run ") and "--resume" in lines[-1]
    found = series((tmp_path / "m.prom").read_text())
    assert value(found, "kailash_runs_total", workflow="t", status="interrupted") == 1
    assert value(found, "kailash_node_executions_total", workflow="t", node="a", status="succeeded") == 1
    assert value(found, "kailash_node_executions_total", workflow="t", node="b", status="skipped") == 1


# -- the Pushgateway ----------------------------------------------------------------------


class _Gateway(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes, dict[str, str]]]

    def _take(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append((method, self.path, body, dict(self.headers)))
        self.send_response(200)
        self.end_headers()

    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        self._take("PUT")

    def do_POST(self) -> None:  # noqa: N802
        self._take("POST")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[tuple[str, str, bytes, dict[str, str]]]]]:
    received: list[tuple[str, str, bytes, dict[str, str]]] = []
    handler = type("Gateway", (_Gateway,), {"received": received})
    with http_server(handler) as url:
        yield url, received


def test_push_gateway_gets_the_runs_metrics(tmp_path: Path, gateway: Any) -> None:
    url, received = gateway
    write(tmp_path / "wf.yaml", FLAKY)
    proc = kailash("run", "wf.yaml", "--push-gateway", url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [(method, path, body, _)] = received
    assert (method, path) == (
        "POST",
        "/metrics/job/kailash/workflow/m",
    )  # a failed run keeps the last success
    found = series(body.decode())
    assert value(found, "kailash_runs_total", workflow="m", status="succeeded") == 1
    assert value(found, "kailash_dead_letters_total", workflow="m", node="b") == 1


def test_push_sends_the_accumulated_series_of_the_workflow_only(tmp_path: Path, gateway: Any) -> None:
    url, received = gateway
    path = tmp_path / "m.prom"
    write_metrics(result("other"), path)
    samples = write_metrics(result("w"), path)
    samples = write_metrics(result("w"), path)
    assert push(url + "/", "w", samples)
    found = series(received[0][2].decode())
    assert value(found, "kailash_runs_total", workflow="w", status="failed") == 2
    assert not [k for k in found if dict(k[1]).get("workflow") == "other"]


def test_push_with_a_password_sends_basic_auth_and_never_shows_it(gateway: Any) -> None:
    url, received = gateway
    authed = url.replace("http://", "http://ops:s3cret@")
    assert push(authed, "w", run_samples(result("w")))
    assert received[0][3]["Authorization"] == "Basic b3BzOnMzY3JldA=="  # ops:s3cret
    warnings: list[str] = []
    assert not push("http://ops:s3cret@127.0.0.1:9/", "w", {}, warnings.append)  # nothing listens
    [warning] = warnings
    assert "s3cret" not in warning
    assert warning.startswith("warning: --push-gateway http://ops:***@127.0.0.1:9/: metrics not pushed (")


def test_a_push_that_fails_is_a_warning_not_a_failed_run(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml", "name: m\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    proc = kailash("run", "wf.yaml", "--push-gateway", "http://127.0.0.1:9", cwd=tmp_path)
    assert proc.returncode == 0
    [warning] = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert warning.startswith("warning: --push-gateway http://127.0.0.1:9: metrics not pushed (")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://x", "not an http(s) URL with a host name; give the Pushgateway as scheme://host:port"),
        ("notaurl", "not an http(s) URL with a host name; give the Pushgateway as scheme://host:port"),
        (
            "http://ops:pw@gw:9091?x=1",
            "a Pushgateway URL has no query or fragment; give scheme, host, port and path only",
        ),
        ("http://gw:port", "not a URL (Port could not be cast to integer value as 'port')"),
    ],
)
def test_a_push_gateway_that_is_no_url_refuses_the_start(tmp_path: Path, url: str, problem: str) -> None:
    write(
        tmp_path / "wf.yaml", "name: m\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    proc = kailash("run", "wf.yaml", "--push-gateway", url, cwd=tmp_path)

    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: --push-gateway {url.replace(':pw@', ':***@')}: {problem}"
    assert not (tmp_path / ".kailash").exists()  # nothing ran


# -- the target -----------------------------------------------------------------------------


def test_check_target_accepts_a_file_in_an_existing_folder(tmp_path: Path) -> None:
    check_target(tmp_path / "m.prom")
    (tmp_path / "m.prom").write_text("old")
    check_target(tmp_path / "m.prom")  # merged into at the end of the run


def test_check_target_refuses_a_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "nonexistent" / "dir" / "m.prom"
    with pytest.raises(UsageError) as info:
        check_target(path)
    assert str(info.value) == (
        f"--metrics-file {path}: folder {path.parent} does not exist; "
        "create it first (the metrics file's folder is not created)"
    )
    assert info.value.exit_code == 2
    assert not (tmp_path / "nonexistent").exists()


def test_check_target_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        check_target(tmp_path)
    assert str(info.value) == (
        f"--metrics-file {tmp_path}: is a directory; give a file path, "
        f"e.g. --metrics-file {tmp_path / 'kailash.prom'}"
    )


def test_check_target_refuses_a_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError) as info:
        check_target(tmp_path / "f" / "m.prom")
    assert "is not a folder" in str(info.value) and len(str(info.value).splitlines()) == 1
