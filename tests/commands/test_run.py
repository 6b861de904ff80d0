"""``kailash run``: in-process through the entry point; tests marked e2e run the installed command."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from db_helpers import postgres_schema
from helpers import KAILASH, REPO, http_server, kailash, kailash_e2e, no_traceback, popen_e2e, write

EXAMPLES = sorted((REPO / "workflows").glob("*.y*ml"))

FUNCTIONS = """
import sys, time

def shout(word):
    print(f"about to shout {word}")
    print("second line", flush=True)
    sys.stdout.write("no newline at the end")
    return {"word": word.upper()}

def fail(**kw):
    raise ValueError("bad input row 3")

def forever():
    print("started", flush=True)
    while True:
        time.sleep(0.05)
"""

WORKFLOW = """\
name: demo
params:
  word: {type: string, required: true}
  times: {type: integer, default: 2}
nodes:
  shout:
    type: PythonCodeNode
    config: {function: "./fns.py:shout", word: "${params.word}"}
  repeat:
    type: PythonCodeNode
    config:
      code: "result = [w] * n"
      n: "${params.times}"
  save:
    type: JSONWriterNode
    config: {file_path: "out/${params.word}.json"}
connections:
  - shout.word -> repeat.w
  - repeat.result -> save.data
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path / "fns.py", FUNCTIONS)
    write(tmp_path / "wf.yaml", WORKFLOW)
    return tmp_path


@pytest.mark.e2e
def test_text_output_results_on_stdout_progress_on_stderr(project: Path) -> None:
    proc = kailash_e2e("run", "wf.yaml", "-p", "word=hey", cwd=project)
    assert proc.returncode == 0, proc.stderr
    out_file = project / "out" / "hey.json"
    assert json.loads(proc.stdout) == {
        "shout": {"result": {"word": "HEY"}},
        "repeat": {"result": ["HEY", "HEY"]},
        "save": {"file_path": str(out_file)},
    }
    assert json.loads(out_file.read_text(encoding="utf-8")) == ["HEY", "HEY"]
    lines = proc.stderr.splitlines()
    assert lines[:2] == ["[shout] about to shout hey", "[shout] second line"]
    assert [line.split()[:2] for line in lines[2:5]] == [["ok", "shout"], ["ok", "repeat"], ["ok", "save"]]
    assert lines[5] == "[shout] no newline at the end"
    assert lines[6].startswith("run ") and " succeeded in " in lines[6]
    assert lines[6].endswith(" ms (3 succeeded)")
    assert len(lines) == 7


def test_json_output_document(project: Path) -> None:
    proc = kailash("run", "wf.yaml", "-p", "word=hey", "--output", "json", cwd=project)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) == {"run_id", "workflow", "status", "started_at", "duration_ms", "outputs", "nodes"}
    assert (doc["workflow"], doc["status"]) == ("demo", "succeeded")
    assert isinstance(doc["run_id"], str) and len(doc["run_id"]) == 12
    assert isinstance(doc["duration_ms"], float | int)
    assert doc["outputs"]["repeat"] == {"result": ["HEY", "HEY"]}
    assert list(doc["nodes"]) == ["shout", "repeat", "save"]
    for node in doc["nodes"].values():
        assert set(node) == {"status", "attempts", "duration_ms", "error"}
        assert (node["status"], node["attempts"], node["error"]) == ("succeeded", 1, None)
        assert node["duration_ms"] >= 0
    # the node's prints went to stderr, never into the document
    assert "[shout] about to shout hey" in proc.stderr.splitlines()


def test_failed_node_exits_1_with_the_error(project: Path) -> None:
    write(
        project / "fail.yaml",
        """\
        name: failing
        nodes:
          bad: {type: PythonCodeNode, config: {function: "./fns.py:fail"}}
          after: {type: PythonCodeNode, config: {code: "result = x"}}
          free: {type: PythonCodeNode, config: {code: "result = 1"}}
        connections: [bad.result -> after.x]
        """,
    )
    proc = kailash("run", "fail.yaml", "--output", "json", cwd=project)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["status"] == "failed"
    assert {n: (r["status"], r["error"]) for n, r in doc["nodes"].items()} == {
        "bad": ("failed", "ValueError: bad input row 3"),
        "after": ("skipped", "input from 'bad' did not arrive (failed)"),
        "free": ("succeeded", None),
    }
    assert no_traceback(proc)


def test_continue_on_error_exits_0(project: Path) -> None:
    write(
        project / "goes_on.yaml",
        """\
        name: goes-on
        nodes:
          bad: {type: PythonCodeNode, config: {function: "./fns.py:fail"}, continue_on_error: true}
          free: {type: PythonCodeNode, config: {code: "result = 1"}}
        """,
    )
    proc = kailash("run", "goes_on.yaml", "--output", "json", cwd=project)
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert (doc["status"], doc["nodes"]["bad"]["status"]) == ("succeeded", "failed")


@pytest.mark.e2e
def test_verbose_shows_the_node_traceback_on_stderr(project: Path) -> None:
    write(
        project / "fail.yaml",
        """\
        name: failing
        nodes:
          bad: {type: PythonCodeNode, config: {function: "./fns.py:fail"}}
        """,
    )
    proc = kailash_e2e("-v", "run", "fail.yaml", cwd=project)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and 'raise ValueError("bad input row 3")' in proc.stderr
    assert json.loads(proc.stdout) == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: missing required param 'word'; pass -p word=VALUE"),
        (("-p", "word=x", "-p", "tims=3"), "error: -p tims: unknown param 'tims' (did you mean 'times'?)"),
        (("-p", "word=x", "-p", "times=many"), "error: -p times: expected an integer, got 'many'"),
        (("-p", "word"), "error: -p word: expected KEY=VALUE"),
    ],
)
def test_bad_params_exit_2(project: Path, args: tuple[str, ...], message: str) -> None:
    proc = kailash("run", "wf.yaml", *args, cwd=project)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert message in proc.stderr.splitlines()
    assert no_traceback(proc)
    assert not (project / "out").exists()


def test_params_file_yaml_and_json(project: Path) -> None:
    write(project / "p.yaml", "word: yam\ntimes: 1\n")
    write(project / "p.json", '{"word": "jay", "times": 3}')
    proc = kailash("run", "wf.yaml", "--params-file", "p.yaml", cwd=project)
    assert json.loads(proc.stdout)["repeat"] == {"result": ["YAM"]}
    proc = kailash("run", "wf.yaml", "--params-file", "p.json", "-p", "times=2", cwd=project)
    assert json.loads(proc.stdout)["repeat"] == {"result": ["JAY", "JAY"]}


def test_missing_params_file_exits_2(project: Path) -> None:
    proc = kailash("run", "wf.yaml", "--params-file", "nope.yaml", cwd=project)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["error: nope.yaml: cannot read file: No such file or directory"]


def test_invalid_workflow_prints_located_findings_and_exits_2(tmp_path: Path) -> None:
    write(
        tmp_path / "bad.yaml",
        """\
        name: bad
        nodes:
          processor: {type: PythonCodeNode, config: {code: "result = 1"}}
          other: {type: PythonCodeNod}
        connections:
          - processor.result -> procesor.x
        """,
    )
    proc = kailash("run", "bad.yaml", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines() == [
        "bad.yaml:4:17: error KV202: node 'other': unknown node type 'PythonCodeNod' "
        "(did you mean 'PythonCodeNode'?); fix: run `kailash nodes` to list the node types",
        "bad.yaml:6:5: error KV201: connection target 'procesor.x' names unknown node 'procesor' "
        "(did you mean 'processor'?); fix: use one of the node ids under nodes:",
        "error: the workflow is invalid: 2 error(s); fix them and try again",
    ]


@pytest.mark.parametrize(
    ("text", "first_line"),
    [
        ("name: x\nnodes: [\n", "broken.yaml:3:1: error KV002: "),
        ("\xff\xfe", "broken.yaml: error KV003: "),
    ],
)
def test_unreadable_workflow_exits_2_without_traceback(tmp_path: Path, text: str, first_line: str) -> None:
    (tmp_path / "broken.yaml").write_bytes(text.encode("latin-1"))
    proc = kailash("run", "broken.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert no_traceback(proc)
    assert proc.stderr.splitlines()[-1] == (
        "error: the workflow is invalid: 1 error(s); fix them and try again"
    )


def test_missing_workflow_file_exits_2(tmp_path: Path) -> None:
    proc = kailash("run", "nope.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "nope.yaml: error KV001: cannot read file: No such file or directory; "
        "fix: check the path and its permissions",
        "error: the workflow is invalid: 1 error(s); fix them and try again",
    ]


def test_missing_env_var_exits_2_naming_it(tmp_path: Path) -> None:
    write(
        tmp_path / "env.yaml",
        """\
        name: envy
        env: [KX_DATABASE_URL, KX_PRESENT]
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = u", u: "${KX_DATABASE_URL}"}}
        """,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KX_")}
    proc = kailash("run", "env.yaml", cwd=tmp_path, env={**env, "KX_PRESENT": "1"})
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines() == [
        "error: missing environment variable(s): KX_DATABASE_URL; export them before the run "
        "(the workflow needs them)"
    ]
    proc = kailash(
        "run", "env.yaml", cwd=tmp_path, env={**env, "KX_PRESENT": "1", "KX_DATABASE_URL": "pg://x"}
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {"a": {"result": "pg://x"}}


def test_function_that_cannot_be_imported_exits_2_naming_the_node(tmp_path: Path) -> None:
    write(
        tmp_path / "imp.yaml",
        """\
        name: imp
        nodes:
          load: {type: PythonCodeNode, config: {function: "no_such_module_kx:run"}}
          other: {type: PythonCodeNode, config: {function: "./nofile.py:run"}}
        """,
    )
    proc = kailash("run", "imp.yaml", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines() == [
        "error: node 'load': cannot import 'no_such_module_kx' for 'no_such_module_kx:run': "
        "ModuleNotFoundError: No module named 'no_such_module_kx'",
        f"error: node 'other': cannot load './nofile.py:run': file {tmp_path.resolve()}/nofile.py not found",
    ]


def test_secrets_from_env_are_resolved_and_a_missing_one_refuses_the_run(tmp_path: Path) -> None:
    write(
        tmp_path / "sec.yaml",
        """\
        name: sec
        secrets:
          token: {env: KX_TOKEN}
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = len(t)", t: "${secrets.token}"}}
        """,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KX_")}
    proc = kailash("run", "sec.yaml", cwd=tmp_path, env={**env, "KX_TOKEN": "abcdef"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"a": {"result": 6}}
    proc = kailash("run", "sec.yaml", cwd=tmp_path, env=env)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines() == [
        "error: secret 'token' not found (tried env 'KX_TOKEN'); set it with `kailash secrets set` "
        "or export the variable"
    ]


def test_dry_run_prints_the_plan_and_writes_nothing(project: Path) -> None:
    proc = kailash("run", "wf.yaml", "-p", "word=hey", "--dry-run", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "plan for demo (dry run: nothing is executed)",
        'params: {"word": "hey", "times": 2}',
        "stage 1: shout [PythonCodeNode]",
        '    function = "./fns.py:shout"',
        '    word = "hey"',
        "stage 2: repeat [PythonCodeNode]",
        "    after:  shout",
        '    code = "result = [w] * n"',
        "    n = 2",
        "    w <- shout.word",
        "stage 3: save [JSONWriterNode]",
        "    after:  repeat",
        "    indent = 2",
        '    file_path = "out/hey.json"',
        "    data <- repeat.result",
    ]
    assert "about to shout" not in proc.stderr
    assert sorted(p.name for p in project.iterdir()) == ["fns.py", "wf.yaml"]


def test_dry_run_json_plan(project: Path) -> None:
    proc = kailash("run", "wf.yaml", "-p", "word=hey", "--dry-run", "--output", "json", cwd=project)
    plan = json.loads(proc.stdout)
    assert plan["workflow"] == "demo"
    assert plan["params"] == {"word": "hey", "times": 2}
    assert [(n["id"], n["stage"], n["after"]) for n in plan["nodes"]] == [
        ("shout", 1, []),
        ("repeat", 2, ["shout"]),
        ("save", 3, ["repeat"]),
    ]
    assert plan["nodes"][2]["params"] == {"indent": 2, "file_path": "out/hey.json"}
    assert not (project / "out").exists()


def json_lines(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines()]  # every line must be JSON


@pytest.mark.parametrize("how", ["option", "env"])
def test_json_log_format_is_one_object_per_stderr_line(project: Path, how: str) -> None:
    if how == "option":
        proc = kailash("--log-format", "json", "run", "wf.yaml", "-p", "word=hey", cwd=project)
    else:
        proc = kailash(
            "run", "wf.yaml", "-p", "word=hey", cwd=project, extra_env={"KAILASH_LOG_FORMAT": "json"}
        )
    assert proc.returncode == 0, proc.stderr
    records = json_lines(proc.stderr)
    run_ids = {r["run_id"] for r in records}
    assert len(run_ids) == 1
    for record in records:
        assert {"ts", "level", "event", "run_id"} <= set(record)
    events = [(r["event"], r.get("node")) for r in records]
    assert events[0] == ("run_started", None)
    assert events[-1] == ("run_finished", None)
    assert records[-1]["status"] == "succeeded"
    for node in ("shout", "repeat", "save"):
        assert events.index(("node_started", node)) < events.index(("node_finished", node))
    printed = [r["line"] for r in records if r["event"] == "node_output"]
    assert printed == ["about to shout hey", "second line", "no newline at the end"]
    assert {r["node"] for r in records if r["event"] == "node_output"} == {"shout"}
    assert json.loads(proc.stdout)["repeat"] == {"result": ["HEY", "HEY"]}


def test_json_log_failed_node_is_an_error_record(project: Path) -> None:
    write(
        project / "fail.yaml",
        """\
        name: failing
        nodes:
          bad: {type: PythonCodeNode, config: {function: "./fns.py:fail"}}
        """,
    )
    proc = kailash("--log-format", "json", "run", "fail.yaml", cwd=project)
    assert proc.returncode == 1
    finished = [r for r in json_lines(proc.stderr) if r["event"] == "node_finished"]
    assert [(r["level"], r["node"], r["status"], r["error"]) for r in finished] == [
        ("error", "bad", "failed", "ValueError: bad input row 3")
    ]


@pytest.mark.e2e
def test_node_timeout_with_a_function_that_never_returns_exits(project: Path) -> None:
    write(
        project / "hang.yaml",
        """\
        name: hang
        nodes:
          stuck: {type: PythonCodeNode, config: {function: "./fns.py:forever"}, timeout: 0.5}
          free: {type: PythonCodeNode, config: {code: "result = 1"}}
        """,
    )
    proc = kailash_e2e("run", "hang.yaml", "--output", "json", cwd=project, timeout=60)
    assert proc.returncode == 1  # the process ended although forever() is still looping
    doc = json.loads(proc.stdout)
    assert doc["nodes"]["stuck"]["status"] == "failed"
    assert doc["nodes"]["stuck"]["error"] == "TimeoutError: timed out after 0.5s"
    assert doc["nodes"]["free"]["status"] == "succeeded"


@pytest.mark.e2e
def test_run_timeout_from_runtime(project: Path) -> None:
    write(
        project / "hang.yaml",
        """\
        name: hang
        runtime: {timeout: 0.5}
        nodes:
          stuck: {type: PythonCodeNode, config: {function: "./fns.py:forever"}}
        """,
    )
    proc = kailash_e2e("run", "hang.yaml", "--output", "json", cwd=project, timeout=60)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["nodes"]["stuck"]["error"] == "TimeoutError: run timed out after 0.5s"


def interrupt(project: Path, workflow: str) -> tuple[subprocess.Popen[str], str, str, str]:
    """Start ``kailash run``, wait for its node's first line, then press Ctrl-C (SIGINT)."""
    proc = popen_e2e("run", workflow, cwd=project)
    watchdog = threading.Timer(60, proc.kill)  # never hang the test suite
    watchdog.start()
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # the node is running once it has printed
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc, first, stdout, stderr


@pytest.mark.e2e
def test_ctrl_c_exits_130_and_says_interrupted(project: Path) -> None:
    write(
        project / "hang.yaml",
        """\
        name: hang
        nodes:
          stuck: {type: PythonCodeNode, config: {function: "./fns.py:forever"}}
        """,
    )
    proc, first, stdout, stderr = interrupt(project, "hang.yaml")
    assert first == "[stuck] started\n"
    assert proc.returncode == 130
    [line] = stderr.splitlines()
    run_id = line.split()[2]
    assert line == (
        f"interrupted: run {run_id} was interrupted and is recorded; continue it with: "
        f"kailash run hang.yaml --resume {run_id}"
    )
    assert stdout == ""


@pytest.mark.e2e
def test_ctrl_c_while_nodes_run_on_threads(project: Path) -> None:
    write(
        project / "hang2.yaml",
        """\
        name: hang2
        nodes:
          stuck: {type: PythonCodeNode, config: {function: "./fns.py:forever"}, timeout: 60}
          also: {type: PythonCodeNode, config: {function: "./fns.py:forever"}, timeout: 60}
        """,
    )
    proc, first, stdout, stderr = interrupt(project, "hang2.yaml")
    assert first in ("[stuck] started\n", "[also] started\n")
    assert proc.returncode == 130
    # the other node may announce its start late, from its own thread: any order
    lines = [line for line in stderr.splitlines() if not line.endswith("] started")]
    assert len(lines) == 1 and lines[0].startswith("interrupted: run ")
    assert "Traceback" not in stderr


# -- HTTP against a real server on 127.0.0.1 -------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.startswith("/users"):
            body = json.dumps(
                [{"id": 1, "name": "ada", "active": True}, {"id": 2, "name": "grace", "active": False}]
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        else:
            body = b"no such page"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(handler: Any) -> Iterator[str]:
    with http_server(handler) as url:
        yield url


@pytest.fixture
def server() -> Iterator[str]:
    yield from _serve(_Handler)


HTTP_WORKFLOW = """\
name: fetch
params:
  url: {type: string, required: true}
nodes:
  fetch:
    type: HTTPRequestNode
    config: {url: "${params.url}", headers: {Accept: application/json}, expected_status: 200}
  names:
    type: PythonCodeNode
    config: {code: "result = [u['name'] for u in users if u['active']]"}
connections: [fetch.response -> names.users]
outputs:
  status: "${nodes.fetch.status_code}"
  names: "${nodes.names.result}"
"""


@pytest.mark.e2e
def test_http_request_against_a_real_local_server(tmp_path: Path, server: str) -> None:
    write(tmp_path / "fetch.yaml", HTTP_WORKFLOW)
    proc = kailash_e2e("run", "fetch.yaml", "-p", f"url={server}/users", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"status": 200, "names": ["ada"]}


def test_http_error_status_fails_the_run(tmp_path: Path, server: str) -> None:
    write(tmp_path / "fetch.yaml", HTTP_WORKFLOW)
    proc = kailash("run", "fetch.yaml", "-p", f"url={server}/missing", "--output", "json", cwd=tmp_path)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["nodes"]["fetch"]["error"] == (
        f"HTTPStatusError: GET {server}/missing returned 404, expected 200: no such page"
    )
    assert doc["nodes"]["names"]["status"] == "skipped"
    assert doc["outputs"] == {"status": None, "names": None}


# -- the examples -------------------------------------------------------------------------


def _example_args(name: str, server: str) -> list[str]:
    return {
        "customer-etl.yaml": ["-p", "min_total=100"],
        "http-fetch.yaml": ["-p", f"url={server}/users.json"],
    }.get(name, [])


@pytest.fixture
def data_server() -> Iterator[str]:
    """Serves workflows/data (the HTTP example's own sample data)."""
    import functools
    from http.server import SimpleHTTPRequestHandler

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    yield from _serve(functools.partial(Quiet, directory=str(REPO / "workflows" / "data")))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_runs(example: Path, tmp_path: Path, data_server: str) -> None:
    copy = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", copy, ignore=shutil.ignore_patterns("out", "__pycache__"))
    with postgres_schema() as database_url:  # postgres-etl.yaml's tables, this test's own
        args = _example_args(example.name, data_server)
        proc = kailash(
            "run", copy / example.name, *args, cwd=tmp_path, extra_env={"DATABASE_URL": database_url}
        )
    assert proc.returncode == 0, proc.stderr
    assert isinstance(json.loads(proc.stdout), dict)
    assert no_traceback(proc)


@pytest.mark.e2e
def test_customer_etl_example_output(tmp_path: Path) -> None:
    copy = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", copy, ignore=shutil.ignore_patterns("out", "__pycache__"))
    proc = kailash_e2e(
        "run", copy / "customer-etl.yaml", "-p", "min_total=100", "--output", "json", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    report = copy / "out" / "report.json"
    assert doc["outputs"]["report"] == str(report)
    selected = json.loads(report.read_text(encoding="utf-8"))
    assert doc["outputs"]["selected"] == len(selected)
    assert all(row["total"] >= 100 for row in selected)
    assert {n: r["status"] for n, r in doc["nodes"].items()} == {
        "read": "succeeded",
        "score": "succeeded",
        "big": "succeeded",
        "report": "succeeded",
    }


@pytest.mark.e2e
def test_usage_error_exits_2() -> None:
    proc = kailash_e2e("run", "--output", "yaml", "x.yaml")
    assert proc.returncode == 2
    assert no_traceback(proc)


@pytest.mark.e2e
def test_installed_command_is_this_interpreter() -> None:
    assert Path(KAILASH).exists()
    assert Path(sys.executable).parent == Path(KAILASH).parent
