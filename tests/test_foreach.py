"""foreach, batch, rate_limit and store_outputs: engine-level runs, validation, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import kailash, run_workflow, write

from kailash_cli.compile.compiler import compile
from kailash_cli.compile.validation import check_document, load_workflow
from kailash_cli.engine.local import LocalExecutor
from kailash_cli.engine.observer import RunObserver
from kailash_cli.engine.options import RunOptions
from kailash_cli.engine.scheduler import run
from kailash_cli.load.yaml_io import load_text
from kailash_cli.model.foreach import BatchPolicy, TokenBucket, parse_rate
from kailash_cli.model.result import FAILED, SUCCEEDED, NodeResult
from kailash_cli.nodes.files import FileAccess
from kailash_cli.pipeline.setup import prepare

FUNCTIONS = """
calls = []

def double(x):
    calls.append(x)
    return x * 2

def boom(x):
    calls.append(x)
    if x % 3 == 2:
        raise ValueError(f"bad {x}")
    return {"value": x, "half": x / 2}

def total(rows):
    return sum(rows)
"""

HEAD = """\
name: fe
nodes:
  src:
    type: PythonCodeNode
    config: {code: "result = list(range(7))"}
"""


def _run(tmp_path: Path, nodes: str, **kwargs: Any) -> Any:
    write(tmp_path / "fns.py", FUNCTIONS)
    return run_workflow(tmp_path, HEAD + nodes, **kwargs)


def test_foreach_runs_once_per_item_in_input_order(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """\
  each:
    type: PythonCodeNode
    foreach: "${nodes.src.result}"
    batch: {max_concurrency: 3}
    config: {function: "./fns.py:double", x: "${item + item_index}"}
  after:
    type: PythonCodeNode
    config: {function: "./fns.py:total", rows: "${nodes.each.result}"}
""",
    )
    assert result.nodes["each"].status == SUCCEEDED
    assert result.outputs["each"]["result"] == [4 * i for i in range(7)]
    assert result.outputs["after"]["result"] == sum(4 * i for i in range(7))
    assert result.nodes["each"].items == {"total": 7, "succeeded": 7, "failed": 0, "errors": []}
    assert result.nodes["each"].attempts == 7


def test_on_item_error_fail_fails_the_node_and_starts_no_more_items(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """\
  each:
    type: PythonCodeNode
    foreach: "${nodes.src.result}"
    batch: {max_concurrency: 1}
    config: {function: "./fns.py:boom", x: "${item}"}
""",
    )
    node = result.nodes["each"]
    assert node.status == FAILED
    assert node.error == "item 2: ValueError: bad 2"
    assert node.items is not None and node.items["failed"] == 1
    assert node.items["errors"] == [{"index": 2, "error": "item 2: ValueError: bad 2"}]
    assert result.status == FAILED


def test_on_item_error_continue_keeps_null_and_counts_the_items(tmp_path: Path) -> None:
    seen: list[tuple[int, int, int | None]] = []

    class Counts(RunObserver):
        def items_progress(self, node_id: str, done: int, failed: int, total: int | None) -> None:
            seen.append((done, failed, total))

    result = _run(
        tmp_path,
        """\
  each:
    type: PythonCodeNode
    foreach: "${nodes.src.result}"
    batch: {on_item_error: continue}
    retry: {max_attempts: 2, strategy: immediate}
    config: {function: "./fns.py:boom", x: "${item}"}
""",
        observer=Counts(),
    )
    assert result.status == SUCCEEDED
    outputs = result.outputs["each"]
    assert [r and r["value"] for r in outputs["result"]] == [0, 1, None, 3, 4, None, 6]
    assert outputs["result"][1]["half"] == 0.5
    items = result.nodes["each"].items
    assert items is not None
    assert (items["succeeded"], items["failed"]) == (5, 2)
    assert [e["index"] for e in items["errors"]] == [2, 5]
    assert result.nodes["each"].attempts == 9  # 5 + 2 items x 2 attempts
    assert sorted(seen)[-1] == (7, 2, 7)


def test_dead_letter_sends_the_item_with_its_input(tmp_path: Path) -> None:
    letters: list[tuple[str, dict[str, Any]]] = []

    class Letters(RunObserver):
        def dead_letter(
            self, node_id: str, node_type: str, params: dict[str, Any], result: NodeResult
        ) -> None:
            letters.append((node_id, params))

    result = _run(
        tmp_path,
        """\
  each:
    type: PythonCodeNode
    foreach: "${nodes.src.result}"
    batch: {on_item_error: dead_letter}
    config: {function: "./fns.py:boom", x: "${item}"}
""",
        observer=Letters(),
    )
    assert result.status == SUCCEEDED
    assert [(n, p["x"]) for n, p in letters] == [("each", 2), ("each", 5)]


def test_batch_size_gives_lists_and_concatenates_list_results(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """\
  each:
    type: PythonCodeNode
    foreach: "${nodes.src.result}"
    batch: {size: 3}
    config: {code: "result = [r * 10 + i for r in rows]", rows: "${item}", i: "${item_index}"}
""",
    )
    assert result.outputs["each"]["result"] == [0, 10, 20, 31, 41, 51, 62]
    assert result.nodes["each"].attempts == 3
    assert result.nodes["each"].items["total"] == 7  # type: ignore[index]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("${params.n}", "foreach must give a list, got int"),
        ("${params.s}", "foreach must give a list, got str"),
    ],
)
def test_foreach_over_a_non_list_fails_the_node_naming_the_type(
    tmp_path: Path, expr: str, message: str
) -> None:
    text = f"""\
name: fe
params: {{n: {{type: integer, default: 3}}, s: {{type: string, default: abc}}}}
nodes:
  each:
    type: PythonCodeNode
    foreach: "{expr}"
    config: {{code: "result = x", x: "${{item}}"}}
"""
    result = run_workflow(tmp_path, text)
    assert result.nodes["each"].status == FAILED
    assert result.nodes["each"].error == message


def test_an_empty_list_gives_empty_outputs(tmp_path: Path) -> None:
    text = HEAD.replace("range(7)", "range(0)") + (
        '  each: {type: PythonCodeNode, foreach: "${nodes.src.result}",\n'
        '         config: {code: "result = x", x: "${item}"}}\n'
    )
    result = run_workflow(tmp_path, text)
    assert result.outputs["each"] == {"result": []}


class StepClock:
    """The run's clock: each read moves it on by ``step`` seconds (no sleeping)."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now

    def sleep(self, seconds: float) -> None:
        """The run's waiting for a timer: time passes at once."""
        self.now += seconds


def test_rate_limit_spaces_calls_on_the_injected_clock(tmp_path: Path) -> None:
    write(tmp_path / "fns.py", FUNCTIONS)
    path = write(
        tmp_path / "wf.yaml",
        HEAD
        + """\
  each:
    type: PythonCodeNode
    foreach: "${nodes.src.result}"
    rate_limit: 10/s
    config: {function: "./fns.py:double", x: "${item}"}
""",
    )
    workflow, problems = load_workflow(path)
    assert problems == []
    compiled = compile(workflow)
    clock = StepClock(0.001)
    started: list[float] = []

    class Clocked(RunObserver):
        def items_progress(self, node_id: str, done: int, failed: int, total: int | None) -> None:
            started.append(clock.now)

    with LocalExecutor(4) as executor:
        options = RunOptions(
            executor=executor,
            files=FileAccess(tmp_path),
            prepared=prepare(compiled),
            clock=clock,
            sleep=clock.sleep,
            observer=Clocked(),
        )
        result = run(compiled, options)
    assert result.outputs["each"]["result"] == [2 * i for i in range(7)]
    assert clock.now >= 0.6  # 7 calls at 10 a second: the last one at least 0.6 s after the first
    assert len(started) == 7


def test_token_bucket_and_rates() -> None:
    bucket = TokenBucket(2.0)
    assert bucket.wait(10.0) == 0.0
    assert bucket.wait(10.1) == pytest.approx(0.4)
    assert bucket.wait(10.5) == 0.0
    assert parse_rate("300/min") == 5.0
    assert parse_rate("50/s") == 50.0
    for bad in ("0/s", "fast", "5/h", 5, "-1/s"):
        assert parse_rate(bad) is None
    assert BatchPolicy.from_spec(None) == BatchPolicy()


def check(text: str) -> list[str]:
    return [f"{p.line}:{p.column}: {p.id}: {p.message}" for p in check_document(load_text(text, "wf.yaml"))]


def test_validation_findings() -> None:
    text = """\
name: wf
nodes:
  a: {type: PythonCodeNode, foreach: "items", config: {code: "result = 1"}}
  b: {type: PythonCodeNode, batch: {size: 2}, config: {code: "result = x", x: "${item}"}}
  c: {type: PythonCodeNode, rate_limit: 0/s, config: {code: "result = 1"}}
  d: {type: PythonCodeNode, foreach: "${params.x}", batch: {rate_limit: 5/h}, config: {code: "result = 1"}}
params: {x: {type: array, default: [1]}}
"""
    assert check(text) == [
        "3:38: KV240: node 'a': foreach must be one expression giving a list, got 'items'",
        "4:29: KV241: node 'b': batch applies only to a node with foreach:",
        "4:79: KV242: ${item}: item is known only in the config of a node with foreach:",
        "5:41: KV243: node 'c': rate_limit '0/s' is not a rate above zero",
        "6:73: KV243: node 'd': rate_limit '5/h' is not a rate above zero",
    ]


def test_foreach_reference_makes_a_dependency_and_is_checked() -> None:
    text = """\
name: wf
nodes:
  a: {type: PythonCodeNode, foreach: "${nodes.src.result}", config: {code: "result = x", x: "${item}"}}
"""
    assert check(text) == ["3:38: KV303: ${nodes.src.result} names unknown node 'src'"]


def test_cli_store_outputs_false_keeps_outputs_out_of_the_store(tmp_path: Path) -> None:
    write(tmp_path / "fns.py", FUNCTIONS)
    wf = write(
        tmp_path / "wf.yaml",
        HEAD
        + """\
  each:
    type: PythonCodeNode
    foreach: "${nodes.src.result}"
    store_outputs: false
    batch: {on_item_error: continue}
    config: {function: "./fns.py:boom", x: "${item}"}
""",
    )
    proc = kailash("run", wf, "--output", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["nodes"]["each"]["items"]["failed"] == 2
    assert "7/7 items, 2 failed" in proc.stderr
    shown = kailash("runs", "show", doc["run_id"], "--output", "json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    stored = json.loads(shown.stdout)
    assert "each" not in stored["outputs"] and "src" in stored["outputs"]
    assert stored["nodes"]["each"]["unstored"] is True


def test_live_view_counts_items_and_json_log_carries_them() -> None:
    import io

    from rich.console import Console

    from kailash_cli.report.output import Output
    from kailash_cli.report.progress import JsonLogObserver, LiveObserver, items_text

    observer = LiveObserver(Output())
    observer.types = {"clean": "PythonCodeNode", "more": "PythonCodeNode"}
    observer.node_started("clean")
    observer.items_progress("clean", 4210, 0, 10000)
    observer.node_started("more")
    observer.items_progress("more", 12, 2, None)
    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None).print(observer._table())
    rows = [line.split() for line in buffer.getvalue().splitlines()]
    assert rows[1][-1] == "4,210/10,000"
    assert rows[2][-3:] == ["12,", "2", "failed"]
    observer.node_finished(
        "clean", NodeResult(SUCCEEDED, 3, 5.0, items={"total": 3, "succeeded": 3, "failed": 0})
    )
    assert observer.state["clean"][2] == "3/3 items"
    assert items_text({"total": None, "succeeded": 1, "failed": 1}) == "2 items, 1 failed"
    err = io.StringIO()
    log = JsonLogObserver(Output(stderr=err, log_format="json"))
    log.node_finished("clean", NodeResult(SUCCEEDED, 3, 5.0, items={"total": 3, "succeeded": 3, "failed": 0}))
    assert json.loads(err.getvalue().splitlines()[-1])["items"]["total"] == 3


@pytest.mark.parametrize("mode", ["fail", "continue"])
def test_an_item_whose_params_cannot_be_made(tmp_path: Path, mode: str) -> None:
    text = f"""\
name: fe
nodes:
  src: {{type: PythonCodeNode, config: {{code: "result = [{{'a': 1}}, {{'b': 2}}, {{'a': 3}}]"}}}}
  each:
    type: PythonCodeNode
    foreach: "${{nodes.src.result}}"
    batch: {{on_item_error: {mode}, max_concurrency: 1}}
    config: {{code: "result = a", a: "${{item.a}}"}}
"""
    result = run_workflow(tmp_path, text)
    node = result.nodes["each"]
    if mode == "fail":
        assert node.status == FAILED
        assert node.error == "item 1: ${item.a}: 'item' has no key 'a' (keys: b)"
    else:
        assert node.status == SUCCEEDED
        assert result.outputs["each"]["result"] == [1, None, 3]
        assert node.items is not None and node.items["errors"][0]["index"] == 1


def test_a_run_timeout_fails_the_foreach_node_once(tmp_path: Path) -> None:
    text = """\
name: fe
runtime: {timeout: 0.5}
nodes:
  src: {type: PythonCodeNode, config: {code: "result = list(range(50))"}}
  each:
    type: PythonCodeNode
    foreach: "${nodes.src.result}"
    batch: {max_concurrency: 1}
    config: {code: "import time; time.sleep(0.2); result = x", x: "${item}"}
  after: {type: PythonCodeNode, config: {code: "result = x", x: "${nodes.each.result}"}}
"""
    finished: list[str] = []

    class Seen(RunObserver):
        def node_finished(self, node_id: str, result: NodeResult) -> None:
            finished.append(node_id)

    result = run_workflow(tmp_path, text, observer=Seen())
    assert result.nodes["each"].status == FAILED
    assert "run timed out" in (result.nodes["each"].error or "")
    assert finished.count("each") == 1
    assert result.nodes["after"].status == "skipped"


def test_node_rate_limit_counts_retries(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wf.yaml",
        """\
name: rl
nodes:
  flaky:
    type: PythonCodeNode
    rate_limit: 120/min
    retry: {max_attempts: 3, strategy: immediate}
    config: {code: "raise ConnectionError('down')"}
""",
    )
    workflow, _ = load_workflow(path)
    compiled = compile(workflow)
    clock = StepClock(0.001)
    with LocalExecutor(2) as executor:
        options = RunOptions(
            executor=executor,
            files=FileAccess(tmp_path),
            prepared=prepare(compiled),
            clock=clock,
            sleep=clock.sleep,
        )
        result = run(compiled, options)
    assert result.nodes["flaky"].attempts == 3
    assert clock.now >= 1.0  # 3 calls at 2 a second: the third at least 1 s after the first


def test_foreach_http_requests_against_a_real_server(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler

    from helpers import http_server

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            status = 503 if self.path == "/down" else 200
            body = json.dumps({"path": self.path}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with http_server(Echo) as base:
        text = f"""\
name: fe
nodes:
  src: {{type: PythonCodeNode, config: {{code: "result = ['a', 'down', 'c']"}}}}
  get:
    type: HTTPRequestNode
    foreach: "${{nodes.src.result}}"
    batch: {{on_item_error: continue}}
    config: {{url: "{base}/${{item}}"}}
  paths:
    type: PythonCodeNode
    config: {{code: "result = [r and r['response']['path'] for r in calls]", calls: "${{nodes.get.result}}"}}
"""
        assert check(text) == []
        result = run_workflow(tmp_path, text)
    assert result.outputs["paths"]["result"] == ["/a", None, "/c"]
    assert result.outputs["get"]["status_code"] == [200, None, 200]
    assert result.nodes["get"].items["failed"] == 1  # type: ignore[index]


def test_dry_run_shows_foreach_batch_and_rate_limit() -> None:
    examples = Path(__file__).resolve().parents[1] / "workflows"
    proc = kailash("run", examples / "foreach-batch.yaml", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "    foreach: ${nodes.orders.result}" in proc.stdout
    assert (
        '    batch: {"max_concurrency": 4, "rate_limit": "50/s", "on_item_error": "continue"}' in proc.stdout
    )
