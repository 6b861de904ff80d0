"""The same YAML on both executors: the example workflows give the same run documents
(timings and placements aside), and timeouts, retries, secrets, the path guard and node
prints behave alike. One LocalCluster of two worker processes serves the module."""

from __future__ import annotations

import io
import json
import shutil
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, http_server, write

from executors.compare import comparable
from kailash_cli import run_workflow
from kailash_cli.engine.dask_executor import DaskExecutor
from kailash_cli.errors import RunInterrupted
from kailash_cli.report.output import Output

EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("hello.yaml", {"who": "Ada"}),
    ("customer-etl.yaml", {"min_total": 100}),
    ("foreach-batch.yaml", {}),
    ("resilient-etl.yaml", {"failure_rate": 1}),  # retries, then the fallback; notify may fail
    ("resilient-etl.yaml", {"failure_rate": 0}),
    ("route-orders.yaml", {"order_index": 1}),
    ("log-report.yaml", {}),
    ("sqlite-etl.yaml", {}),
    ("nightly-with-alert.yaml", {"fail": True}),  # on_failure: the alert goes to a local webhook
    ("http-fetch.yaml", {}),
    ("large-csv.yaml", {"chunk_size": 50}),  # the stream stays here; its batches go to workers
]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = (REPO / "workflows" / "data" / "users.json").read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _config(folder: Path, extra: str = "") -> Path:
    return write(folder / "kailash.yaml", f"runtime: {{store: {folder / 'kailash.db'}}}\n{extra}")


@pytest.mark.parametrize(("example", "params"), EXAMPLES, ids=lambda v: v if isinstance(v, str) else "")
def test_examples_give_the_same_run_document_on_both_executors(
    tmp_path: Path, dask_executor: DaskExecutor, example: str, params: dict[str, Any]
) -> None:
    project = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", project, ignore=shutil.ignore_patterns("out", ".kailash"))
    documents = []
    with http_server(_Handler) as url:
        if example == "http-fetch.yaml":
            params = {"url": f"{url}/users.json"}
        environ = {"ALERT_WEBHOOK_URL": f"{url}/hook"}
        for name, executor in (("local", "local"), ("dask", dask_executor)):
            result = run_workflow(
                project / example,
                params=params,
                config=_config(tmp_path / name),
                executor=executor,
                environ=environ,
                output=Output(stderr=io.StringIO()),
            )
            documents.append(result.to_dict())
    local, dask = documents
    assert "executor" not in local and dask["executor"]["type"] == "dask"
    assert comparable(dask) == comparable(local)
    ran = [n for n, node in dask["nodes"].items() if node["status"] != "skipped" and node["attempts"]]
    workers = [w for n in ran for w in dask["nodes"][n]["workers"]]  # each says where it ran
    here = {"local"} if example == "large-csv.yaml" else set()  # its stream's reader and writer
    assert ran and len(workers) >= len(ran)
    assert all(w.startswith("tcp://127.0.0.1:") or w in here for w in workers)


def _both(
    tmp_path: Path, dask_executor: DaskExecutor, name: str, text: str, **kwargs: Any
) -> list[dict[str, Any]]:
    """Workflow ``name`` (``text``: its nodes and more) run on each executor, the run documents;
    ``${params.folder}`` is a folder of each run's own."""
    header = f"name: {name}\nparams: {{folder: {{type: string}}}}\n"
    path = write(tmp_path / "wf.yaml", header + textwrap.dedent(text))
    documents = []
    for name, executor in (("local", "local"), ("dask", dask_executor)):
        folder = {"folder": str(tmp_path / name)}
        result = run_workflow(
            path, config=_config(tmp_path / name), executor=executor, params=folder, **kwargs
        )
        documents.append(comparable(result.to_dict()))
    return documents


def test_a_call_that_overruns_its_timeout_fails_alike_and_its_retry_runs(
    tmp_path: Path, dask_executor: DaskExecutor
) -> None:
    local, dask = _both(
        tmp_path,
        dask_executor,
        "slow",
        """\
        nodes:
          slow:
            type: PythonCodeNode
            timeout: 0.5
            retry: {max_attempts: 2, base_delay: 0.01, retry_on: [TimeoutError]}
            config:
              code: |
                import time
                from pathlib import Path
                marker = Path(folder) / "first-attempt"
                if not marker.exists():
                    marker.write_text("begun")
                    time.sleep(3)
                result = "second"
              folder: "${params.folder}"
          never:
            type: PythonCodeNode
            timeout: 0.5
            config: {code: "import time; time.sleep(3)"}
        """,
    )
    assert dask == local
    assert dask["nodes"]["slow"] == {"status": "succeeded", "attempts": 2, "error": None}
    assert dask["nodes"]["never"] == {
        "status": "failed",
        "attempts": 1,
        "error": "TimeoutError: timed out after 0.5s",
    }


def test_failures_keep_their_class_for_retry_on_and_their_text(
    tmp_path: Path, dask_executor: DaskExecutor
) -> None:
    local, dask = _both(
        tmp_path,
        dask_executor,
        "failing",
        """\
        nodes:
          refused:
            type: PythonCodeNode
            retry: {max_attempts: 3, base_delay: 0.01, retry_on: [OSError]}
            config: {code: "raise ConnectionRefusedError('no service')"}
          custom:
            type: PythonCodeNode
            retry: {max_attempts: 2, base_delay: 0.01, retry_on: [kailash_node_custom.Odd]}
            config:
              code: |
                class Odd(Exception):
                    pass
                raise Odd("odd")
          exits:
            type: PythonCodeNode
            continue_on_error: true
            config: {code: "import sys; sys.exit(3)"}
        """,
    )
    assert dask == local
    assert dask["nodes"]["refused"] == {
        "status": "failed",
        "attempts": 3,
        "error": "ConnectionRefusedError: no service",
    }
    assert dask["nodes"]["custom"] == {"status": "failed", "attempts": 2, "error": "Odd: odd"}
    assert dask["nodes"]["exits"] == {"status": "failed", "attempts": 1, "error": "SystemExit: 3"}


def test_the_path_guard_applies_on_the_worker(tmp_path: Path, dask_executor: DaskExecutor) -> None:
    write(tmp_path / "secret.csv", "a\n1\n")
    write(tmp_path / "data" / "big.csv", "a\n" + "1\n" * 600)
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: guarded
        nodes:
          outside: {type: CSVReaderNode, continue_on_error: true, config: {file_path: secret.csv}}
          too_big: {type: CSVReaderNode, continue_on_error: true, config: {file_path: data/big.csv}}
          wrong_kind:
            type: JSONWriterNode
            continue_on_error: true
            config: {file_path: data/x.txt, data: [1]}
        """,
    )
    data = tmp_path / "data"
    security = (
        f"security: {{allowed_directories: [{data}], max_file_size: 1KB, allowed_file_extensions: [.csv]}}"
    )
    errors = []
    for name, executor in (("local", "local"), ("dask", dask_executor)):
        config = _config(tmp_path / name, security)
        result = run_workflow(path, config=config, executor=executor)
        errors.append({n: r.error for n, r in result.nodes.items()})
    assert errors[1] == errors[0]
    assert "outside allowed_directories" in errors[1]["outside"]
    assert all(errors[1].values())


def test_secrets_are_redacted_in_what_comes_back_from_the_worker(
    tmp_path: Path, dask_executor: DaskExecutor
) -> None:
    secret = "s3cr3t-value-0123456789"
    local, dask = _both(
        tmp_path,
        dask_executor,
        "secretive",
        """\
        secrets:
          token: {env: API_TOKEN}
        nodes:
          use:
            type: PythonCodeNode
            config:
              code: |
                print("using", token)
                result = {"echo": token, "length": len(token)}
              token: "${secrets.token}"
          fail:
            type: PythonCodeNode
            continue_on_error: true
            config:
              code: raise ValueError("bad token " + token)
              token: "${secrets.token}"
        """,
        environ={"API_TOKEN": secret},
    )
    assert dask == local
    assert dask["outputs"]["use"] == {"result": {"echo": "***", "length": len(secret)}}
    assert dask["nodes"]["fail"]["error"] == "ValueError: bad token ***"
    assert secret not in json.dumps(dask)


def test_what_a_node_prints_on_a_worker_reaches_the_run_output(
    tmp_path: Path, dask_executor: DaskExecutor
) -> None:
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: printer
        nodes:
          talk:
            type: PythonCodeNode
            config:
              code: |
                print("hello from", who)
                result = 1
              who: the worker
        """,
    )
    stderr = io.StringIO()
    run_workflow(
        path, config=_config(tmp_path / "dask"), executor=dask_executor, output=Output(stderr=stderr)
    )
    assert stderr.getvalue() == "[talk] hello from the worker\n"


def test_a_stopped_run_cancels_its_calls_on_the_cluster(tmp_path: Path, dask_executor: DaskExecutor) -> None:
    marker = tmp_path / "started"
    path = write(
        tmp_path / "wf.yaml",
        f"""\
        name: stopped
        nodes:
          sleeper:
            type: PythonCodeNode
            config:
              code: |
                import time
                from pathlib import Path
                Path({str(marker)!r}).write_text("started")
                time.sleep(60)
        """,
    )
    cancel = threading.Event()

    def stop_once_started() -> None:
        _wait_for(marker.exists)
        cancel.set()  # what SIGTERM does to `kailash run`

    threading.Thread(target=stop_once_started, daemon=True).start()
    with pytest.raises(RunInterrupted) as caught:
        run_workflow(path, config=_config(tmp_path / "dask"), executor=dask_executor, cancel=cancel, grace=0)
    assert caught.value.result is not None
    assert caught.value.result.nodes["sleeper"].status == "failed"
    assert dask_executor._futures == {}
    _wait_for(lambda: not any(dask_executor.client.processing().values()))  # the worker is free again


def _wait_for(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_foreach_items_spread_over_the_workers_within_max_concurrency(
    tmp_path: Path, dask_executor: DaskExecutor
) -> None:
    def counting(limit: int, folder: Path) -> str:
        folder.mkdir()
        return f"""\
          type: PythonCodeNode
          foreach: "${{nodes.items.result}}"
          batch: {{max_concurrency: {limit}}}
          config:
            code: |
              import os, time
              from pathlib import Path
              here = Path(folder)
              mine = here / f"{{os.getpid()}}-{{index}}"
              mine.touch()
              time.sleep(0.3)
              result = len(list(here.iterdir()))  # items running at this moment
              mine.unlink()
            index: "${{item_index}}"
            folder: {folder}
        """

    path = write(
        tmp_path / "wf.yaml",
        f"""\
        name: spread
        nodes:
          items: {{type: PythonCodeNode, config: {{code: 'result = list(range(6))'}}}}
          pairs:
{textwrap.indent(textwrap.dedent(counting(2, tmp_path / "pairs")), " " * 12)}
          single:
{textwrap.indent(textwrap.dedent(counting(1, tmp_path / "single")), " " * 12)}
        """,
    )
    result = run_workflow(path, config=_config(tmp_path / "dask"), executor=dask_executor)
    assert result.succeeded, result.nodes
    assert result.outputs["single"]["result"] == [1] * 6  # max_concurrency: 1 honoured
    assert max(result.outputs["pairs"]["result"]) <= 2
    assert len(result.nodes["pairs"].workers or []) == 2  # both workers took items
