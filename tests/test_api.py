"""The Python API: the same record as ``run --output json``, nothing printed, everything released."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest
from helpers import REPO, write

import kailash_cli
from kailash_cli import (
    AccessDeniedError,
    Finding,
    LocalExecutor,
    NodeCall,
    RunObserver,
    RunResult,
    UsageError,
    Workflow,
    WorkflowValidationError,
    load_workflow,
    run_workflow,
    validate,
)
from kailash_cli.main import main as cli_main
from kailash_cli.nodes.files import FileAccess

TIMINGS = ("run_id", "started_at", "duration_ms")


def at_once(threads: list[threading.Thread]) -> None:
    """Start every thread, then wait for all of them."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the examples folder as the current directory."""
    shutil.copytree(REPO / "workflows", tmp_path / "workflows", ignore=shutil.ignore_patterns("out"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _untimed(document: dict[str, Any]) -> dict[str, Any]:
    nodes = {n: {k: v for k, v in r.items() if k != "duration_ms"} for n, r in document["nodes"].items()}
    return {**{k: v for k, v in document.items() if k not in TIMINGS}, "nodes": nodes}


def test_run_workflow_gives_the_record_of_run_output_json(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_workflow("workflows/customer-etl.yaml", params={"min_total": 100})
    from_api = result.to_dict()
    assert capsys.readouterr() == ("", "[score] scored 4 customers\n")  # node prints, on stderr

    assert cli_main(["run", "workflows/customer-etl.yaml", "-p", "min_total=100", "-o", "json"]) == 0
    from_cli = json.loads(capsys.readouterr().out)

    assert isinstance(result, RunResult)
    assert _untimed(from_api) == _untimed(from_cli)
    assert (result.status, result.outputs["selected"]) == ("succeeded", 2)


def test_a_failed_node_is_a_failed_result_not_an_exception(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: boom
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 1 / 0"}}
        """,
    )
    result = run_workflow(path, config=write(tmp_path / "kailash.yaml", "runtime: {}\n"))
    assert (result.status, result.nodes["a"].status) == ("failed", "failed")
    assert result.nodes["a"].error == "ZeroDivisionError: division by zero"


def _open_files() -> set[str]:
    return {f.path for f in psutil.Process().open_files()}


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("kailash-worker", "kailash-loop"))]


def test_everything_opened_is_released(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "kx_helper_mod.py", "def double(x):\n    return x * 2\n")
    write(tmp_path / "local_fn.py", "def triple(x):\n    return x * 3\n")
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: release
        nodes:
          a: {type: PythonCodeNode, config: {function: "lib.kx_helper_mod:double", x: 2}}
          b: {type: PythonCodeNode, config: {function: "./local_fn.py:triple", x: 3}, timeout: 5}
          c: {type: PythonCodeNode, config: {code: "result = 1"}, depends_on: [a, b]}
        """,
    )
    write(tmp_path / "lib" / "__init__.py", "")
    path_before, files_before, threads_before = list(sys.path), _open_files(), set(_workers())
    modules_before = set(sys.modules)

    result = run_workflow(path, config=write(tmp_path / "kailash.yaml", "runtime: {}\n"))

    assert result.outputs["a"] == {"result": 4} and result.outputs["b"] == {"result": 9}
    assert sys.path == path_before
    assert not [m for m in set(sys.modules) - modules_before if m.startswith(("lib", "kailash_user_"))]
    assert _open_files() == files_before  # the store is closed
    assert set(_workers()) - threads_before == set()  # the run's threads and loop have ended


def test_released_when_the_run_cannot_start(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: needs
        params: {n: {type: integer, required: true}}
        env: [KX_NOT_SET_ANYWHERE]
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 1"}}
        """,
    )
    files_before = _open_files()

    with pytest.raises(UsageError) as caught:
        run_workflow(path, config=write(tmp_path / "kailash.yaml", "runtime: {}\n"), environ={})

    assert str(caught.value).splitlines() == [
        "missing required param 'n'; pass -p n=VALUE",
        "missing environment variable(s): KX_NOT_SET_ANYWHERE; export them before the run "
        "(the workflow needs them)",
    ]
    assert _open_files() == files_before


def test_param_args_are_coerced_like_the_command_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: typed
        params: {n: {type: integer}}
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = n + 1", n: "${params.n}"}}
        """,
    )
    config = write(tmp_path / "kailash.yaml", "runtime: {}\n")
    assert run_workflow(path, param_args=["n=41"], config=config).outputs == {"a": {"result": 42}}
    with pytest.raises(UsageError, match="param 'n'"):
        run_workflow(path, params={"n": "41"}, config=config)  # typed values are not coerced


def test_the_config_path_guard_applies(tmp_path: Path) -> None:
    write(tmp_path / "outside" / "x.csv", "a\n1\n")
    write(tmp_path / "proj" / "data" / "x.csv", "a\n2\n")
    config = write(tmp_path / "proj" / "kailash.yaml", "security: {allowed_directories: [./data]}\n")
    path = write(
        tmp_path / "proj" / "wf.yaml",
        """\
        name: guarded
        params: {f: {type: string}}
        nodes:
          read: {type: CSVReaderNode, config: {file_path: "${params.f}"}}
        """,
    )

    inside = run_workflow(path, params={"f": "data/x.csv"}, config=config)
    outside = run_workflow(path, params={"f": "../outside/x.csv"}, config=config)

    assert inside.outputs == {"read": {"data": [{"a": "2"}]}}
    assert outside.status == "failed"
    assert (outside.nodes["read"].error or "").startswith("PathDeniedError: path ")
    assert (outside.nodes["read"].error or "").endswith(f"outside allowed_directories [{tmp_path}/proj/data]")


def test_access_denied_carries_the_refused_record(tmp_path: Path) -> None:
    config = write(
        tmp_path / "kailash.yaml",
        """\
        access_control:
          users: {ana: {roles: [viewer]}, root: {roles: [admin]}}
          roles: {admin: {permissions: [execute]}, viewer: {permissions: [read]}}
        """,
    )
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: guarded
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 1"}, permissions: {roles: [admin]}}
        """,
    )

    with pytest.raises(AccessDeniedError) as caught:
        run_workflow(path, config=config, user="ana")

    assert caught.value.result is not None and caught.value.result.status == "failed"
    assert run_workflow(path, config=config, user="root").status == "succeeded"


def test_secrets_are_redacted_in_the_record(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: secretive
        secrets: {token: {env: KX_TOKEN}}
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 'token=' + t", t: "${secrets.token}"}}
          b: {type: PythonCodeNode, config: {code: "raise ValueError('bad ' + t)", t: "${secrets.token}"}}
        """,
    )
    result = run_workflow(
        path, config=write(tmp_path / "kailash.yaml", "runtime: {}\n"), environ={"KX_TOKEN": "tok-abcdef123"}
    )

    assert result.outputs["a"] == {"result": "token=***"}
    assert result.nodes["b"].error == "ValueError: bad ***"
    assert "tok-abcdef123" not in json.dumps(result.to_dict())


def test_observers_see_every_event(tmp_path: Path) -> None:
    events: list[str] = []

    class Seen(RunObserver):
        def run_started(self, run: kailash_cli.RunInfo) -> None:
            events.append(f"start {run.workflow} {sorted(run.types)}")

        def node_finished(self, node_id: str, result: kailash_cli.NodeResult) -> None:
            events.append(f"{node_id} {result.status}")

        def run_finished(self, result: RunResult) -> None:
            events.append(f"end {result.status}")

    path = write(
        tmp_path / "wf.yaml",
        """\
        name: seen
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 1"}}
        """,
    )
    run_workflow(path, config=write(tmp_path / "kailash.yaml", "runtime: {}\n"), observers=[Seen()])
    assert events == ["start seen ['a']", "a succeeded", "end succeeded"]


def test_load_workflow_and_validate(project: Path) -> None:
    workflow = load_workflow("workflows/hello.yaml")
    assert isinstance(workflow, Workflow) and workflow.name == "hello"
    assert validate("workflows") == []
    bad = write(project / "bad.yaml", "name: Bad Name\nnodes: {}\n")
    findings = validate([bad])
    assert findings and all(isinstance(f, Finding) for f in findings)
    assert findings[0].file == "bad.yaml" and findings[0].severity == "error"
    with pytest.raises(WorkflowValidationError):
        load_workflow(bad)


def test_an_unknown_executor_name_is_a_usage_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wf.yaml", "name: x\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    with pytest.raises(UsageError, match="unknown executor 'warp'; use one of: local, dask"):
        run_workflow(path, config=write(tmp_path / "kailash.yaml", "runtime: {}\n"), executor="warp")


class CountingExecutor(LocalExecutor):
    """An executor of the caller's: every call it is given is pickled, as for another process."""

    def __init__(self) -> None:
        super().__init__(4)
        self.calls: list[str] = []

    def submit(self, token: Any, call: NodeCall, completions: Any) -> None:
        self.calls.append(call.node_id)
        super().submit(token, pickle.loads(pickle.dumps(call)), completions)


def test_a_callers_executor_gets_the_calls_and_stays_open(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: fan
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 1"}, timeout: 5}
          b: {type: PythonCodeNode, config: {code: "result = 2"}, timeout: 5}
        """,
    )
    with CountingExecutor() as executor:
        result = run_workflow(
            path, config=write(tmp_path / "kailash.yaml", "runtime: {}\n"), executor=executor
        )
        assert sorted(executor.calls) == ["a", "b"]
        assert executor.workers.loop.is_running() or True  # still usable: not shut down by the run
    assert result.outputs == {"a": {"result": 1}, "b": {"result": 2}}


def _run_in_child(data: bytes) -> Any:
    return pickle.loads(data).run()


def test_a_node_call_runs_in_another_process(tmp_path: Path) -> None:
    write(tmp_path / "data" / "rows.csv", "a,b\n1,2\n")
    from kailash_cli.security.paths import PathGuard

    guard = PathGuard(tmp_path, [tmp_path / "data"], [".csv"])
    call = NodeCall(
        "read",
        "CSVReaderNode",
        {"file_path": "data/rows.csv"},
        FileAccess(tmp_path, guard),
        {"HOME": "/nowhere"},
        secrets=("s3cret",),
    )
    denied = NodeCall("read", "CSVReaderNode", {"file_path": "../etc.csv"}, FileAccess(tmp_path, guard))

    with ProcessPoolExecutor(1) as pool:
        assert pool.submit(_run_in_child, pickle.dumps(call)).result(timeout=60) == {
            "data": [{"a": "1", "b": "2"}]
        }
        with pytest.raises(kailash_cli.PathDeniedError):
            pool.submit(_run_in_child, pickle.dumps(denied)).result(timeout=60)


def test_environ_defaults_to_the_process_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KX_GREETING", "hi")
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: env
        env: [KX_GREETING]
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = g", g: "${env.KX_GREETING}"}}
        """,
    )
    assert run_workflow(path, config=write(tmp_path / "kailash.yaml", "runtime: {}\n")).outputs == {
        "a": {"result": "hi"}
    }
    assert os.environ["KX_GREETING"] == "hi"


def test_the_readme_example_runs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert code is not None
    exec(compile(code.group(1), "README.md", "exec"), {})  # noqa: S102 - our own documentation
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "succeeded {'greeting': 'Hello, Ada!'}",
        printed[1],
        "missing required param 'min_total' (lower bound of a customer's total); pass -p min_total=VALUE",
    ]
    assert printed[1].startswith("{'status': 'succeeded', 'attempts': 1, 'duration_ms': ")


def _store_runs(folder: Path) -> list[tuple[str, str]]:
    from kailash_cli.pipeline.store import Store

    store = Store.open(folder / ".kailash" / "kailash.db")
    try:
        return [(r["workflow"], r["status"]) for r in store.runs(limit=50)]
    finally:
        store.close()


def test_one_executor_serves_runs_one_after_another_without_mixing_them(tmp_path: Path) -> None:
    write(tmp_path / "slow.py", "import time\ndef nap(s, tag):\n    time.sleep(s)\n    return tag\n")
    late = write(
        tmp_path / "late.yaml",
        """\
        name: late
        nodes:
          a: {type: PythonCodeNode, config: {function: "./slow.py:nap", s: 1.0, tag: "STALE"}, timeout: 0.2}
        """,
    )
    later = write(
        tmp_path / "later.yaml",
        """\
        name: later
        nodes:
          b: {type: PythonCodeNode, config: {function: "./slow.py:nap", s: 1.5, tag: "fresh"}, timeout: 5}
        """,
    )
    config = write(tmp_path / "kailash.yaml", "runtime: {}\n")
    with LocalExecutor(4) as executor:
        first = run_workflow(late, config=config, executor=executor)
        second = run_workflow(later, config=config, executor=executor)
    assert first.nodes["a"].error == "TimeoutError: timed out after 0.2s"
    assert (second.status, second.outputs) == ("succeeded", {"b": {"result": "fresh"}})


def test_runs_at_once_keep_their_node_output_apart(tmp_path: Path) -> None:
    import io

    write(
        tmp_path / "talk.py",
        "import time\ndef talk(word):\n    for _ in range(20):\n"
        "        print(word)\n        time.sleep(0.005)\n    return word\n",
    )
    config = write(tmp_path / "kailash.yaml", "runtime: {}\n")
    paths = {
        w: write(
            tmp_path / f"{w}.yaml",
            f"""\
        name: {w}
        nodes:
          n: {{type: PythonCodeNode, config: {{function: "./talk.py:talk", word: {w}}}, timeout: 10}}
        """,
        )
        for w in ("ping", "pong")
    }
    outputs = {w: kailash_cli.Output(stderr=io.StringIO()) for w in paths}
    before = sys.stdout, sys.stderr
    threads = [
        threading.Thread(
            target=run_workflow, args=(paths[w],), kwargs={"config": config, "output": outputs[w]}
        )
        for w in paths
    ]
    at_once(threads)
    assert (sys.stdout, sys.stderr) == before
    for word, output in outputs.items():
        assert output.stderr.getvalue().splitlines() == [f"[n] {word}"] * 20  # type: ignore[attr-defined]


def test_node_prints_are_redacted_without_an_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: leak
        secrets: {token: {env: KX_TOKEN}}
        nodes:
          a: {type: PythonCodeNode, config: {code: "print('token is', t); result = 1", t: "${secrets.token}"}}
        """,
    )
    run_workflow(
        path,
        config=write(tmp_path / "kailash.yaml", "runtime: {}\n"),
        environ={"KX_TOKEN": "s3cr3t-value-123"},
    )
    assert capsys.readouterr() == ("", "[a] token is ***\n")


def test_the_command_guard_of_one_run_outlives_a_shorter_run(tmp_path: Path) -> None:
    write(
        tmp_path / "spawn.py",
        "import subprocess, time\ndef spawn(wait):\n    time.sleep(wait)\n"
        "    return subprocess.run(['true']).returncode\n",
    )
    config = write(tmp_path / "kailash.yaml", "security: {enable_command_validation: true}\n")
    paths = [
        write(
            tmp_path / f"{name}.yaml",
            f"""\
        name: {name}
        nodes:
          a: {{type: PythonCodeNode, config: {{function: "./spawn.py:spawn", wait: {wait}}}, timeout: 10}}
        """,
        )
        for name, wait in (("long", 0.8), ("short", 0.0))
    ]
    results: dict[str, RunResult] = {}
    threads = [
        threading.Thread(target=lambda p=p: results.__setitem__(p.stem, run_workflow(p, config=config)))
        for p in paths
    ]
    at_once(threads)
    for name in ("long", "short"):
        assert (results[name].nodes["a"].error or "").startswith(
            "PermissionError: node 'a' tried to start a process"
        ), name


def test_a_run_that_cannot_start_leaves_no_record(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wf.yaml", "name: x\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    config = write(tmp_path / "kailash.yaml", "runtime: {}\n")
    with pytest.raises(UsageError, match="unknown executor 'warp'"):
        run_workflow(path, config=config, executor="warp")
    with pytest.raises(UsageError, match="a int is not an executor"):
        run_workflow(path, config=config, executor=42)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="param_args is a list of KEY=VALUE texts"):
        run_workflow(path, config=config, param_args="who=Ada")
    assert not (tmp_path / ".kailash" / "kailash.db").exists() or _store_runs(tmp_path) == []


def test_a_run_ended_by_an_unexpected_error_is_recorded(tmp_path: Path) -> None:
    class Broken(RunObserver):
        def node_finished(self, node_id: str, result: kailash_cli.NodeResult) -> None:
            raise RuntimeError("observer broke")

    path = write(
        tmp_path / "wf.yaml", "name: x\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    with pytest.raises(RuntimeError, match="observer broke"):
        run_workflow(path, config=write(tmp_path / "kailash.yaml", "runtime: {}\n"), observers=[Broken()])
    assert _store_runs(tmp_path) == [("x", "interrupted")]


def test_api_messages_name_the_api(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wf.yaml",
        """\
        name: p
        params: {who: {type: string}}
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 1"}}
        """,
    )
    with pytest.raises(UsageError) as caught:
        run_workflow(path, params={"whom": "Ada"}, config=write(tmp_path / "kailash.yaml", "runtime: {}\n"))
    assert str(caught.value).splitlines()[0] == "params: unknown param 'whom' (did you mean 'who'?)"
    with pytest.raises(WorkflowValidationError) as invalid:
        load_workflow(tmp_path / "nope.yaml")
    assert str(invalid.value).startswith(f"{tmp_path / 'nope.yaml'}: error KV001: cannot read file")


def test_runs_at_once_can_create_the_store_together(tmp_path: Path) -> None:
    from kailash_cli.pipeline.store import Store

    failures: list[str] = []

    def open_close(path: Path) -> None:
        try:
            Store.open(path).close()
        except kailash_cli.KailashError as e:
            failures.append(str(e))

    for i in range(60):
        threads = [threading.Thread(target=open_close, args=(tmp_path / f"s{i}" / "k.db",)) for _ in range(4)]
        at_once(threads)
    assert failures == []
