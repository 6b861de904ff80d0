"""Choosing the executor: ``--executor``, ``--dask-address``, ``executor:`` in kailash.yaml,
``DASK_SCHEDULER_ADDRESS``; what a worker is sent; the errors a user gets."""

from __future__ import annotations

import json
import pickle
import socket
import sys
from pathlib import Path

import pytest
from helpers import write

from kailash_cli import run_workflow
from kailash_cli.engine import dask_executor
from kailash_cli.engine.dask_code import make_prepared, recipe_of
from kailash_cli.engine.dask_executor import DaskExecutor, WorkerLostError, _task_error
from kailash_cli.engine.dask_remote import Failure, RemoteCall, run_pickled, run_remote
from kailash_cli.engine.executor import NodeCall
from kailash_cli.errors import UsageError
from kailash_cli.nodes.files import FileAccess
from kailash_cli.nodes.python_code import NODE_TYPE as PYTHON_CODE
from kailash_cli.pipeline.executors import describe

HELLO = "name: hello\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 41 + 1'}}\n"


def _project(tmp_path: Path, config: str = "") -> tuple[Path, Path]:
    workflow = write(tmp_path / "wf.yaml", HELLO)
    return workflow, write(tmp_path / "kailash.yaml", f"runtime: {{store: {tmp_path / 'k.db'}}}\n{config}")


def test_the_config_chooses_dask_and_the_cli_shows_and_records_where_nodes_ran(
    tmp_path: Path, run_cli
) -> None:
    workflow, config = _project(tmp_path, "executor: {type: dask, workers: 1}\n")
    run = run_cli("run", workflow, "-c", config, "--output", "json")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["executor"]["cluster"] == "local cluster" and document["executor"]["workers"] == 1
    worker = document["nodes"]["a"]["workers"][0]
    assert (
        run.stderr.splitlines()[0]
        == f"executor dask: {document['executor']['address']} (local cluster, 1 worker)"
    )
    shown = run_cli("runs", "show", document["run_id"], "-c", config)
    assert "  succeeded a                    attempts 1  " in shown.stdout
    assert shown.stdout.splitlines()[1].startswith("executor dask: tcp://127.0.0.1:")
    assert f" on {worker}\n" in shown.stdout


def test_the_command_line_wins_over_the_config(tmp_path: Path, run_cli) -> None:
    workflow, config = _project(tmp_path, "executor: {type: dask}\n")
    run = run_cli("run", workflow, "-c", config, "--executor", "local", "--output", "json")
    assert run.returncode == 0 and "executor" not in json.loads(run.stdout)
    refused = run_cli("run", workflow, "-c", config, "--executor", "local", "--dask-address", "tcp://h:1")
    assert (refused.returncode, refused.stderr) == (
        2,
        "error: a Dask scheduler address was given with the local executor; use --executor dask\n",
    )
    unknown = run_cli("run", workflow, "-c", config, "--executor", "ray")
    assert unknown.stderr == "error: unknown executor 'ray'; use one of: local, dask\n"


def test_an_address_variable_that_is_not_set_refuses_to_start(tmp_path: Path) -> None:
    workflow, config = _project(tmp_path, 'executor: {type: dask, address: "${MY_SCHEDULER}"}\n')
    with pytest.raises(UsageError) as caught:
        run_workflow(workflow, config=config, environ={})
    assert str(caught.value) == (
        "executor.address names ${MY_SCHEDULER}, which is not set; set MY_SCHEDULER to the scheduler "
        "(tcp://host:8786), or drop executor.address to start a LocalCluster"
    )


def test_a_scheduler_that_cannot_be_reached_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT", 0.5)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{unused.getsockname()[1]}"
    workflow, config = _project(tmp_path)
    with pytest.raises(
        UsageError, match=f"^cannot reach the Dask scheduler at {address}: .*; check --dask-address"
    ):
        run_workflow(workflow, config=config, environ={"DASK_SCHEDULER_ADDRESS": address}, executor="dask")


@pytest.mark.parametrize(
    ("executor", "message"),
    [
        ({"type": "dask", "address": "foo"}, "^'foo' is not a Dask scheduler address; write tcp://host:8786"),
        ({"type": "dask", "address": "http://127.0.0.1:8787"}, "is not a Dask scheduler address"),
        ({"type": "dask", "address": ""}, "^the Dask scheduler address is empty"),
        ({"type": "dask", "adress": "tcp://h:8786"}, "^executor: unknown key 'adress'"),
        ({"type": "dask", "workers": 0}, "^executor workers must be a whole number of at least 1, got 0"),
    ],
)
def test_bad_executor_settings_refuse_at_once(tmp_path: Path, executor: dict, message: str) -> None:
    workflow, config = _project(tmp_path)
    with pytest.raises(UsageError, match=message):
        run_workflow(workflow, config=config, executor=executor)


def test_something_that_is_not_a_scheduler_refuses_in_bounded_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT", 0.5)
    with socket.socket() as listener:  # accepts the connection, never says a word
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        workflow, config = _project(tmp_path)
        with pytest.raises(
            UsageError, match=f"^(the Dask scheduler at {address} did not answer|cannot reach)"
        ):
            run_workflow(workflow, config=config, executor={"type": "dask", "address": address})


def test_without_the_extra_the_error_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    workflow, config = _project(tmp_path)
    run = run_cli("run", workflow, "-c", config, "--executor", "dask")
    assert (run.returncode, run.stderr) == (
        2,
        "error: executor 'dask' needs the dask extra, which is not installed (distributed is missing); "
        "install it with: pip install 'kailash-cli[dask]'\n",
    )


@pytest.mark.parametrize(
    ("section", "finding"),
    [
        ("{address: 'tcp://h:8786'}", "executor.address is only used by type: dask"),
        ("{type: local, workers: 2}", "executor.workers is only used by type: dask"),
        (
            "{type: dask, address: 'tcp://h:8786', workers: 2}",
            "executor.workers is only used by the LocalCluster started when there is no address",
        ),
    ],
)
def test_settings_the_executor_would_ignore_are_findings(
    tmp_path: Path, run_cli, section: str, finding: str
) -> None:
    config = write(tmp_path / "kailash.yaml", f"executor: {section}\n")
    run = run_cli("validate", config)
    assert run.returncode == 1
    assert f"error KV520: {finding}" in run.stdout


def test_the_schema_takes_a_type_and_an_address_it_knows(tmp_path: Path, run_cli) -> None:
    config = write(tmp_path / "kailash.yaml", "executor: {type: ray, address: 'h:8786'}\n")
    run = run_cli("validate", config)
    assert run.returncode == 1 and run.stdout.count("KV104") == 2
    good = write(
        tmp_path / "ok" / "kailash.yaml", "executor: {type: dask, address: '${DASK_SCHEDULER_ADDRESS}'}\n"
    )
    assert run_cli("validate", good).returncode == 0


def test_a_worker_gets_no_environment_and_only_the_secrets_its_params_hold(tmp_path: Path) -> None:
    call = NodeCall(
        "a",
        "PythonCodeNode",
        {"token": "Bearer tok-123456", "n": [1, {"k": "plain"}]},
        FileAccess(tmp_path),
        {"HOME": "/root", "API_TOKEN": "tok-123456"},
        None,
        ("tok-123456", "other-secret-999"),
        "run1",
        {"main": object()},
    )
    shipped = DaskExecutor._for_worker(_bare(), call).call
    assert (shipped.environ, shipped.databases, shipped.secrets) == ({}, {}, ("tok-123456",))


def _bare() -> DaskExecutor:
    executor = DaskExecutor.__new__(DaskExecutor)
    executor._sql_runs, executor._sources = set(), {}
    return executor


def test_a_file_function_travels_as_its_source(tmp_path: Path) -> None:
    write(tmp_path / "steps.py", "def double(x):\n    return {'twice': 2 * x}\n")
    spec = type("Spec", (), {"config": {"function": "./steps.py:double"}, "id": "d"})()
    recipe = recipe_of(PYTHON_CODE.prepare(spec, tmp_path), {})  # type: ignore[arg-type]
    (tmp_path / "steps.py").unlink()  # a fresh worker has no copy of the project
    prepared = make_prepared(recipe)
    assert prepared.function is not None and prepared.function(x=4) == {"twice": 8}
    call = NodeCall("d", "PythonCodeNode", {"x": 5}, FileAccess(tmp_path), {}, None, (), "run1")
    outcome = run_remote(RemoteCall(call, recipe))
    assert (outcome.ok, pickle.loads(outcome.value), outcome.worker) == (
        True,
        {"twice": 10, "result": {"twice": 10}},
        "local",
    )


def test_a_worker_failure_comes_back_as_the_same_class_or_one_of_its_name() -> None:
    builtin = Failure("builtins", "ConnectionResetError", "reset by peer", "Traceback ...").exception()
    assert type(builtin) is ConnectionResetError and str(builtin) == "reset by peer"
    assert builtin.__notes__ == ["raised on the worker:\nTraceback ..."]
    unknown = Failure("kailash_user_1234", "Odd", "odd", "").exception()
    assert (type(unknown).__name__, type(unknown).__module__, str(unknown)) == (
        "Odd",
        "kailash_user_1234",
        "odd",
    )


def test_a_lost_worker_is_a_connection_error_to_retry_on() -> None:
    killed = type("KilledWorker", (Exception,), {})("w1")
    future = type("Future", (), {"key": "kailash-a-1", "cancelled": lambda self: False})()
    lost = _task_error(killed, future)
    assert isinstance(lost, WorkerLostError) and isinstance(lost, ConnectionError)
    assert str(lost) == "the Dask worker running the call was lost (kailash-a-1)"


def test_the_local_executor_is_not_described_in_the_run_document() -> None:
    from kailash_cli.engine.local import LocalExecutor

    with LocalExecutor(1) as local:
        assert describe(local) is None
    assert describe(type("Mine", (), {})()) == {"type": "Mine"}  # type: ignore[arg-type]


def test_outputs_that_cannot_travel_fail_the_call_with_a_message(tmp_path: Path) -> None:
    call = NodeCall("lock", "PythonCodeNode", {}, FileAccess(tmp_path), {}, None, (), "run1")
    # storable (text) but not picklable
    code = (
        "class Text(str):\n    def __reduce_ex__(self, protocol):\n"
        "        raise TypeError('cannot pickle Text')\nresult = Text('x')"
    )
    recipe = ("code", code, "<node lock>", "")
    outcome = run_remote(RemoteCall(call, recipe))
    assert not outcome.ok
    error = outcome.value.exception()
    assert isinstance(error, TypeError)
    assert str(error).startswith("the outputs of node 'lock' cannot be sent back from the worker: ")


def test_a_call_that_cannot_travel_fails_with_a_message_of_its_own(tmp_path: Path) -> None:
    import queue
    import threading

    completions: queue.SimpleQueue = queue.SimpleQueue()
    call = NodeCall(
        "a", "PythonCodeNode", {"lock": threading.Lock()}, FileAccess(tmp_path), {}, None, (), "r"
    )
    _bare().submit("token", call, completions)
    token, ok, error = completions.get_nowait()
    assert (token, ok, str(error)) == (
        "token",
        False,
        "node 'a': its call cannot be sent to a Dask worker: cannot pickle '_thread.lock' object",
    )
    garbled = run_pickled(b"not a pickle")
    assert not garbled.ok and garbled.value.exception().__class__.__name__ == "UnpicklingError"
